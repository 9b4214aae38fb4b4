// The search page: Pagefind's index of every item (editions/search.py writes it), searched
// in the browser. Nothing leaves the page but requests for the index's own files.
//
// Abbreviations: the index gives every item the other forms of each abbreviation it uses
// (content/synonyms.yaml). Pagefind matches each word of a query as the start of a word,
// so a short form ("AR", the "R" of "Year R") is swapped for its group's safest form
// before searching; the page holds that list as JSON (Synonyms.query_forms).

import { DIMENSIONS, carry, chosen, describe, fill, fromUrl, read, remember, unfold } from "./choice.js";

const PAGE = 20;
const form = document.getElementById("search");
const input = form.elements.q;
const status = document.getElementById("search-status");
const list = document.getElementById("results");
const more = document.getElementById("more");
const forms = JSON.parse(document.getElementById("synonyms").textContent);
const keys = Object.keys(forms).sort((a, b) => b.length - a.length);
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const swaps = keys.map((k) => [new RegExp(`(?<= )${escape(k)}(?:s|'s|\\d+)?(?= )`, "g"), forms[k]]);

export function rewrite(query) {
  let q = ` ${query.toLowerCase().replace(/[\s\-]+/g, " ").trim()} `;
  for (const [pattern, form] of swaps) q = q.replace(pattern, form.toLowerCase());
  return q.trim();
}

let engine = null;
async function pagefind() {
  if (!engine) {
    engine = import("../pagefind/pagefind.js").then(async (pf) => {
      await pf.options({ excerptLength: 24 });
      return pf;
    });
  }
  return engine;
}

let results = [];
let shown = 0;
let latest = 0;

function say(text) {
  status.textContent = text;
}

function filtersOf(choice, answer) {
  const filters = {};
  for (const k of DIMENSIONS) if (choice[k]) filters[k] = choice[k];
  if (answer) filters.status = answer;
  return filters;
}

function summary(count, text, choice, answer) {
  const what = text ? ` for “${text}”` : "";
  const whom = chosen(choice) ? `, for ${describe(choice)}` : "";
  const which = answer ? ` (${answer.toLowerCase()})` : "";
  if (!count) return `No answers${what}${whom}${which}. Try fewer words, or another word for the same thing.`;
  return `${count === 1 ? "1 answer" : count + " answers"}${what}${whom}${which}${text ? ", best match first" : ", newest first"}.`;
}

function item(data) {
  const li = document.createElement("li");
  const heading = document.createElement("h2");
  const link = document.createElement("a");
  link.href = data.meta.link;
  link.textContent = data.meta.title;
  heading.append(link);
  const meta = document.createElement("p");
  meta.className = "meta";
  const badge = document.createElement("span");
  badge.className = data.meta.status === "Answered" ? "badge answered" : "badge pending";
  badge.textContent = data.meta.status;
  meta.append(badge, " ");
  if (data.meta.changed) {
    const badge = document.createElement("span");
    badge.className = "badge changed";
    badge.textContent = "Changed later";
    meta.append(badge, " ");
  }
  meta.append(`${data.meta.forum}, ${data.meta.date}${data.meta.topic ? " · " + data.meta.topic : ""}`);
  const text = document.createElement("p");
  text.textContent = data.meta.summary;
  li.append(heading, meta, text);
  return li;
}

async function showMore(focus) {
  const batch = results.slice(shown, shown + PAGE);
  const found = await Promise.all(batch.map((r) => r.data()));
  const first = shown;
  list.append(...found.map(item));
  shown += batch.length;
  more.hidden = shown >= results.length;
  more.textContent = `Show more answers (${results.length - shown} more)`;
  if (focus && list.children[first]) list.children[first].querySelector("a").focus();
}

async function run() {
  const mine = ++latest;
  const choice = read(form);
  const text = input.value.trim();
  const answer = form.elements.status.value;
  remember({ q: text, ...choice, status: answer });
  carry(choice);
  const filters = filtersOf(choice, answer);
  if (!text && !Object.keys(filters).length) {
    results = [];
    list.replaceChildren();
    more.hidden = true;
    say("");
    return;
  }
  let found;
  try {
    const pf = await pagefind();
    found = await pf.search(text ? rewrite(text) : null, text ? { filters } : { filters, sort: { date: "desc" } });
  } catch (error) {
    document.getElementById("search-needs").hidden = false;
    say("The search could not start here. Open the archive from its web address to search it.");
    throw error;
  }
  if (mine !== latest) return; // a newer search has started
  results = found.results;
  shown = 0;
  list.replaceChildren();
  await showMore(false);
  if (mine === latest) say(summary(results.length, text, choice, answer));
}

let timer = 0;
function soon() {
  clearTimeout(timer);
  timer = setTimeout(run, 250);
}

document.getElementById("search-needs").hidden = true;
const start = new URLSearchParams(location.search);
fill(form, { ...fromUrl(), q: start.get("q") || "", status: start.get("status") || "" });
unfold(document.getElementById("choose"), chosen(fromUrl()) || start.get("status"));
form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(timer);
  run();
});
input.addEventListener("input", soon);
form.addEventListener("change", (event) => {
  if (event.target !== input) run();
});
more.addEventListener("click", () => showMore(true));
run();
