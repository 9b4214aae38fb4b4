// The school a reader chose (district, phase, setting) on the filters and the search: kept
// in the page's address, so it survives a reload and can be shared, and carried on the
// links marked data-carry, so the next page shows what applies to the same school. No
// cookies and no storage: the address is the only place it is kept.

export const DIMENSIONS = ["district", "phase", "setting"];

export function fromUrl() {
  const query = new URLSearchParams(location.search);
  return Object.fromEntries(DIMENSIONS.map((k) => [k, query.get(k) || ""]));
}

export function fill(form, values) {
  for (const [name, value] of Object.entries(values)) {
    const field = form.elements[name];
    if (!field || !value) continue;
    if (field.tagName !== "SELECT" || [...field.options].some((o) => o.value === value)) field.value = value;
  }
}

export function read(form) {
  return Object.fromEntries(DIMENSIONS.map((k) => [k, form.elements[k].value]));
}

export function chosen(choice) {
  return DIMENSIONS.some((k) => choice[k]);
}

// The choices fold away on a phone until they are wanted; open when a school is chosen.
export function unfold(details, open) {
  if (open || matchMedia("(min-width: 600px)").matches) details.open = true;
}

// "a primary mainstream school in Swale", "a school in Swale", "a special school"
export function describe(choice) {
  const words = [choice.phase, choice.setting].filter(Boolean).join(" ");
  const article = /^[aeiou]/.test(words) ? "an" : "a";
  return `${article} ${words ? words + " " : ""}school${choice.district ? " in " + choice.district : ""}`;
}

// The page's address with these values (empty ones left out), without a new history entry.
export function remember(values) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) query.set(k, v);
  const search = query.toString();
  history.replaceState(null, "", (search ? "?" + search : location.pathname) + location.hash);
}

export function carry(choice) {
  for (const link of document.querySelectorAll("a[data-carry]")) {
    const url = new URL(link.getAttribute("href"), location.href);
    for (const k of DIMENSIONS) {
      if (choice[k]) url.searchParams.set(k, choice[k]);
      else url.searchParams.delete(k);
    }
    link.href = url.href;
  }
}

carry(fromUrl());
