// The search page: every item of every forum, searched in the browser (assets/finder.js,
// over search/index.json, which `digest build` writes). Nothing leaves the page but the
// request for the index, from the site itself.

import { DIMENSIONS, carry, chosen, describe, fill, fromUrl, read, remember, unfold } from "./choice.js";
import { Finder } from "./finder.js";

const PAGE = 20;
const FORMAT = 1; // of search/index.json (editions/search.py FORMAT)
const form = document.getElementById("search");
const input = form.elements.q;
const status = document.getElementById("search-status");
const none = document.getElementById("none");
const list = document.getElementById("results");
const more = document.getElementById("more");

let engine = null;
async function finder() {
  if (!engine) {
    engine = fetch("search/index.json")
      .then((response) => {
        if (!response.ok) throw new Error(`search/index.json: ${response.status}`);
        return response.json();
      })
      .then((index) => {
        if (index.format !== FORMAT) throw new Error(`search/index.json is of format ${index.format}, not ${FORMAT}`);
        return new Finder(index);
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

// Whether an item is for the chosen school, and has the chosen status.
function filterOf(choice, answer) {
  return (item) => DIMENSIONS.every((k) => !choice[k] || item[k].includes(choice[k])) && (!answer || item.status === answer);
}

function summary(count, text, choice, answer) {
  const what = text ? ` for “${text}”` : "";
  const whom = chosen(choice) ? `, for ${describe(choice)}` : "";
  const which = answer ? ` (${answer.toLowerCase()})` : "";
  if (!count) return `No answers${what}${whom}${which}.`;
  return `${count === 1 ? "1 answer" : count + " answers"}${what}${whom}${which}${text ? ", best match first" : ", newest first"}.`;
}

function item(data) {
  const li = document.createElement("li");
  const heading = document.createElement("h2");
  const link = document.createElement("a");
  link.href = data.link;
  link.textContent = data.title;
  heading.append(link);
  const meta = document.createElement("p");
  meta.className = "meta";
  const badge = document.createElement("span");
  badge.className = data.status === "Answered" ? "badge answered" : "badge pending";
  badge.textContent = data.status;
  meta.append(badge, " ");
  if (data.changed) {
    const badge = document.createElement("span");
    badge.className = "badge changed";
    badge.textContent = "Changed later";
    meta.append(badge, " ");
  }
  meta.append(`${data.forum}, ${data.date}${data.topic ? " · " + data.topic : ""}`);
  const text = document.createElement("p");
  text.textContent = data.summary;
  li.append(heading, meta, text);
  return li;
}

function showMore(focus) {
  const batch = results.slice(shown, shown + PAGE);
  const first = shown;
  list.append(...batch.map(item));
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
  none.hidden = true;
  if (!text && !chosen(choice) && !answer) {
    results = [];
    list.replaceChildren();
    more.hidden = true;
    say("");
    return;
  }
  let found;
  try {
    const f = await finder();
    const keep = filterOf(choice, answer);
    found = (text ? f.find(text, keep) : f.list(keep)).map((id) => f.byId.get(id));
  } catch (error) {
    document.getElementById("search-needs").hidden = false;
    say("The search could not start here. Open the archive from its web address to search it.");
    throw error;
  }
  if (mine !== latest) return; // a newer search has started
  results = found;
  shown = 0;
  list.replaceChildren();
  showMore(false);
  say(summary(results.length, text, choice, answer));
  none.hidden = results.length > 0;
  document.getElementById("none-why").textContent = !(chosen(choice) || answer)
    ? "Nothing in the forums' answers matches those words."
    : `No answer${text ? " that matches those words" : ""} is for the school or the answers you chose: choose every district, phase, setting and answer to look through them all.`;
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
