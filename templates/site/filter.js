// "Show what applies to your school" on the forum and topic pages: hides the items whose
// audience leaves the chosen school out. Each item carries the districts, phases and
// settings it reaches (data-districts="Swale|Thanet"; none means every one); a section
// or forum with nothing left is hidden too, and the count is said in a status message.

import { carry, chosen, describe, fill, fromUrl, read, remember, unfold } from "./choice.js";

const LISTS = { district: "districts", phase: "phases", setting: "settings" };
const form = document.getElementById("filter");
const status = document.getElementById("filter-status");
const items = [...document.querySelectorAll("article.item")];

function applies(item, choice) {
  return Object.entries(LISTS).every(([k, list]) => {
    const names = item.dataset[list];
    return !choice[k] || names === undefined || names.split("|").includes(choice[k]);
  });
}

function apply(first) {
  const choice = read(form);
  const target = first ? decodeURIComponent(location.hash.slice(1)) : "";
  let shown = 0;
  for (const item of items) {
    const show = applies(item, choice) || item.id === target; // a linked answer always shows
    item.hidden = !show;
    shown += show ? 1 : 0;
  }
  for (const group of document.querySelectorAll("[data-group]")) {
    const n = group.querySelectorAll("article.item:not([hidden])").length;
    group.hidden = n === 0;
    const entry = document.querySelector(`[data-section="${group.dataset.group}"]`);
    for (const place of [group, entry]) {
      if (!place) continue;
      if (place !== group) place.hidden = n === 0;
      const count = place.querySelector("[data-count]");
      if (count) count.textContent = n;
    }
  }
  if (!first || chosen(choice)) {
    status.textContent = chosen(choice)
      ? `Showing ${shown} of ${items.length} answers: those for ${describe(choice)}.`
      : `Showing all ${items.length} answers.`;
  }
  remember(choice);
  carry(choice);
}

form.hidden = false;
fill(form, fromUrl());
unfold(document.getElementById("choose"), chosen(fromUrl()));
apply(true);
form.addEventListener("change", () => apply(false));
form.addEventListener("reset", () => setTimeout(() => apply(false)));
form.addEventListener("submit", (event) => event.preventDefault());
