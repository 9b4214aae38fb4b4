// What the search page finds for a query: MiniSearch (assets/minisearch.js, vendored) over
// search/index.json, which `digest build` writes (editions/search.py). docs/search.md says
// how it ranks, and why.
//
// - Words are read the same way in the items and in the query: "Yr 5", "Year 5", "Y5" and
//   "yr5" are one word, year5; every form of a synonym group (content/synonyms.yaml) adds
//   one word for the group, so "AR" and "annual review" find the same items. In an item a
//   form of three letters or fewer counts only as written (capitals and all); in a query
//   any case will do, and "YR" is Reception only when no number follows it.
// - Filler words ("who", "do", "I", "with", "about") are dropped from the query, and so is
//   any word under three letters that is neither an abbreviation the items use in
//   capitals nor a synonym: they never decide.
// - Each answer matching any of the words is scored (BM25, the headline weighing most);
//   a word missing from every item is looked for by edit distance among the index's own
//   words ("medaition": mediation). An answer is kept only if the words it matched carry
//   at least half of the query's weight, a rarer word weighing more, and it ranks by its
//   score times the square of that share, so the answers matching most words come first.

import MiniSearch from "./minisearch.js";

const FIELDS = ["title", "summary", "question", "answer", "more"];
const BOOST = { title: 2.5, summary: 1, question: 1, answer: 2, more: 0.5 };
const STOP = new Set(
  (
    "a about above after again against all also am an and any are as at be because been before being below between " +
    "both but by can could did do does doing down during each few for from further get got had has have having he her " +
    "here hers him his how i if in into is it its just me more most my no nor not now of off on once only or other our " +
    "ours out over own please pls same she should so some such than that the their theirs them then there these they " +
    "this those through to too under until up very was we were what when where which while who whom why will with " +
    "would you your yours"
  ).split(" "),
);
const LETTERS = /[^\p{L}\p{N}]+/u;
const YEAR = /(?<![\p{L}\p{N}])(?:year|yr|y)[\s-]*(\d{1,2})(?![\p{N}])/giu;
const TYPED = 0.3; // the weight of a synonym's words as typed, beside its group's word
const SHARE = 0.5; // of the query's weight an answer must match to be kept

// Edit distance (optimal string alignment: a swap of two letters is one edit), or more
// than `most` when it is surely more.
function distance(a, b, most) {
  if (Math.abs(a.length - b.length) > most) return most + 1;
  let before = null;
  let last = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(last[j] + 1, row[j - 1] + 1, last[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], before[j - 2] + 1);
    }
    if (Math.min(...row) > most) return most + 1;
    [before, last] = [last, row];
  }
  return last[b.length];
}

const special = (term) => /^(?:zsyn|year)\d+$/.test(term);
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function stem(term) {
  if (special(term) || /\d/.test(term)) return term;
  if (term.length > 4 && term.endsWith("ies")) return term.slice(0, -3) + "y";
  if (term.endsWith("sses")) return term.slice(0, -2);
  if (term.length > 3 && term.endsWith("s") && !/(?:ss|us|is)$/.test(term)) return term.slice(0, -1);
  return term;
}

function processTerm(term) {
  const t = term.toLowerCase();
  return t && !STOP.has(t) ? stem(t) : null;
}

// The synonym groups as patterns: in items (strict) short forms only as written.
function patterns(groups, strict) {
  const forms = groups.flatMap((group, i) => group.map((form) => [form, i]));
  forms.sort((a, b) => b[0].length - a[0].length);
  return forms.map(([form, i]) => {
    const words = form.trim().split(/[\s-]+/).map(escape).join("[\\s-]+");
    const short = form.replace(/[^\p{L}\p{N}]/gu, "").length <= 3;
    const flags = strict && short ? "gu" : "giu";
    return [new RegExp(`(?<![\\p{L}\\p{N}])(?:${words})(?:s|'s|’s|\\d+)?(?![\\p{L}\\p{N}])`, flags), `zsyn${i}`];
  });
}

export class Finder {
  constructor(index) {
    this.items = index.items;
    this.byId = new Map(index.items.map((item) => [item.id, item]));
    this.abbreviations = new Set(index.abbreviations);
    this.inItems = patterns(index.synonyms, true);
    this.inQuery = patterns(index.synonyms, false);
    this.formWords = new Set(index.synonyms.flat().flatMap((form) => form.toLowerCase().split(LETTERS)));
    this.vocabulary = new Set();
    const words = this.vocabulary;
    this.engine = new MiniSearch({
      fields: FIELDS,
      tokenize: (text) => this.read(text, this.inItems, true).split(LETTERS),
      processTerm: (term) => {
        const t = processTerm(term);
        if (t) words.add(t);
        return t;
      },
      searchOptions: {
        tokenize: (text) => text.split(" "),
        processTerm: (term) => term,
        boost: BOOST,
        combineWith: "OR",
        prefix: (term) => !special(term) && term.length >= 4,
        weights: { prefix: 0.4 },
      },
    });
    this.engine.addAll(index.items);
  }

  // Text as both sides read it: year numbers as one word, and a word for each synonym
  // group a form of which is there (an item keeps its own words beside it).
  read(text, forms, keep, seen = () => {}) {
    let out = ` ${text.normalize("NFKC")} `.replace(YEAR, " year$1 ");
    for (const [pattern, word] of forms) {
      out = out.replace(pattern, (m) => {
        seen(m);
        return keep ? `${m} ${word} ` : ` ${word} `;
      });
    }
    return out;
  }

  // The words of a query that count: no filler, nothing too short to mean anything. And,
  // apart, the words of the synonyms as typed: an item using the reader's own form of a
  // group ranks a little above one using another form, but they decide nothing.
  terms(query) {
    const real = (text) =>
      text
        .split(LETTERS)
        .map(processTerm)
        .filter((t) => t && (t.length >= 3 || special(t) || this.abbreviations.has(t)));
    // slips first, so that a corrected word can make a synonym ("annual reveiw")
    const mended = query.replace(/[\p{L}\p{N}]+/gu, (word) => {
      const t = processTerm(word);
      if (!t || this.formWords.has(word.toLowerCase())) return word;
      const spelt = this.spelt(t);
      return spelt === t ? word : spelt;
    });
    const terms = [...new Set(real(this.read(mended, this.inQuery, false)))];
    let typed = "";
    this.read(mended, this.inQuery, false, (m) => (typed += ` ${m}`));
    const asTyped = [...new Set(real(typed.replace(YEAR, " year$1 ")))].filter((t) => !terms.includes(t));
    return { terms, asTyped };
  }

  // A word no item uses nor begins with, if it is a slip for one that some do: the nearest of the index's
  // own words with the same first letter, one edit away (two from eight letters on; none
  // under five letters, where one edit makes another word: "adhd" is not "add"),
  // the most used of the nearest. Otherwise the word as it is, which finds nothing.
  spelt(term) {
    if (special(term) || term.length < 5) return term;
    for (const word of this.vocabulary) if (word.startsWith(term)) return term; // found as it is, or being typed
    const most = term.length >= 8 ? 2 : 1;
    let best = term;
    let bestDistance = most + 1;
    for (const word of this.vocabulary) {
      if (word[0] !== term[0] || special(word)) continue;
      const d = distance(term, word, most);
      if (d < bestDistance || (d === bestDistance && d <= most && this.uses(word) > this.uses(best))) {
        best = word;
        bestDistance = d;
      }
    }
    return best;
  }

  uses(term) {
    return this.engine.search(term, { prefix: false }).length;
  }

  // Every item id for the query, best first, among those `keep` allows.
  find(query, keep = () => true) {
    const { terms, asTyped } = this.terms(query);
    if (!terms.length) return [];
    const total = this.items.length;
    const weight = Object.fromEntries(
      terms.map((t) => {
        const df = Math.max(1, this.engine.search(t).length); // a word no answer holds: as rare as the rarest
        return [t, Math.log(1 + (total - df + 0.5) / (df + 0.5))];
      }),
    );
    const whole = terms.reduce((sum, t) => sum + weight[t], 0);
    const found = this.engine.search([...terms, ...asTyped].join(" "), {
      filter: (r) => keep(this.byId.get(r.id)),
      boostTerm: (term) => (asTyped.includes(term) ? TYPED : 1),
    });
    return found
      .map((r) => {
        const share = r.queryTerms.reduce((sum, t) => sum + (weight[t] || 0), 0) / whole;
        return { id: r.id, share, score: r.score * share * share };
      })
      .filter((r) => r.share >= SHARE)
      .sort((a, b) => b.score - a.score)
      .map((r) => r.id);
  }

  // Every item id `keep` allows, newest forum first, in the order written.
  list(keep = () => true) {
    return this.items
      .filter(keep)
      .sort((a, b) => (a.sort < b.sort ? 1 : -1))
      .map((item) => item.id);
  }
}
