// Live search on the page and the embed: results follow typing, ?q= stays in the URL, arrows move through results.
// Everything corpus-derived goes into the page as text nodes (never innerHTML), the same markup the server renders.
"use strict";

(() => {
  const form = document.querySelector('form[role="search"]');
  if (!form) return;
  const input = form.querySelector('input[name="q"]');
  const status = document.getElementById("status");
  const output = document.getElementById("output");
  const more = document.getElementById("more");
  const linkTarget = form.dataset.linkTarget || "";
  const DEBOUNCE_MS = 250;
  // A query that stays on screen this long becomes its own history entry; quicker keystrokes replace it.
  const SETTLE_MS = 1200;
  const baseTitle = "Search the blog";
  const FILTERS = ["author", "tag", "from", "to"];
  // As service/browsing.py and service/web.py: facet headings, and how long a passage's snippet may run.
  const FACETS = [["author", "Author"], ["tag", "Tag"], ["year", "Year"]];
  const SNIPPET_CHARS = 200;
  const fullPage = !form.dataset.k;

  let debounce = 0;
  let settle = 0;
  let controller = null;
  let settled = true;

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  // Only web links become hrefs: a corpus could carry javascript: or data: URLs.
  const safeUrl = (url) => (typeof url === "string" && /^https?:\/\//i.test(url.trim()) ? url.trim() : null);

  // The logged search's id (the X-Query-Id header), so result links count the click as the server's pages do.
  let queryId = "";
  const postLink = (post, fallbackTag, untitled = "Untitled excerpt") => {
    const title = post.title || untitled;
    const url = safeUrl(post.url);
    if (!url) return el(fallbackTag, "", title);
    const a = el("a", "", title);
    a.href = queryId ? `/r/${encodeURIComponent(queryId)}/${encodeURIComponent(post.id)}` : url;
    if (linkTarget) a.target = linkTarget;
    return a;
  };

  // The terms in <mark> within [start, end), appended to parent as text nodes.
  const markTerms = (parent, text, start, end, terms) => {
    let cursor = start;
    for (const term of terms) {
      const from = Math.max(term.start, cursor);
      const to = Math.min(term.end, end);
      if (from >= to) continue;
      if (from > cursor) parent.append(text.slice(cursor, from));
      parent.append(el("mark", "", text.slice(from, to)));
      cursor = to;
    }
    if (cursor < end) parent.append(text.slice(cursor, end));
  };

  // The passage with its best sentence (kind "sentence") in span.best and every other highlight marked as a term.
  const marked = (text, highlights) => {
    const p = el("p", "passage");
    const sentence = highlights.find((h) => h.kind === "sentence");
    const terms = highlights.filter((h) => h.kind !== "sentence").sort((a, b) => a.start - b.start);
    if (!sentence) {
      markTerms(p, text, 0, text.length, terms);
      return p;
    }
    const start = Math.max(0, sentence.start);
    const end = Math.min(text.length, sentence.end);
    const best = el("span", "best");
    markTerms(p, text, 0, start, terms);
    markTerms(best, text, start, end, terms);
    if (start < end) p.append(best);
    markTerms(p, text, end, text.length, terms);
    return p;
  };

  const answerCard = (answer) => {
    const section = el("section", "answer");
    section.setAttribute("aria-labelledby", "answer-heading");
    const heading = el("h2", "", "Answer");
    heading.id = "answer-heading";
    const source = el("p", "answer-source", "From ");
    source.append(postLink(answer.post, answer.post.title ? "cite" : "span", "an untitled excerpt"));
    if (answer.post.author) source.append(`, by ${answer.post.author}`);
    section.append(heading, el("p", "answer-text", answer.text));
    const context = answer.context || { before: "", after: "" };
    if (context.before || context.after) {
      const around = el("p", "answer-context", `${context.before} `);
      around.append(el("mark", "", answer.text), ` ${context.after}`);
      section.append(around);
    }
    section.append(source);
    return section;
  };

  // A passage in brief, as the server's snippet filter: its best sentence, or its first words cut at a space.
  const snippet = (text, highlights) => {
    const li = el("li");
    const sentence = highlights.find((h) => h.kind === "sentence");
    const terms = highlights.filter((h) => h.kind !== "sentence").sort((a, b) => a.start - b.start);
    if (sentence) {
      markTerms(li, text, Math.max(0, sentence.start), Math.min(text.length, sentence.end), terms);
    } else if (text.length <= SNIPPET_CHARS) {
      markTerms(li, text, 0, text.length, terms);
    } else {
      const space = text.lastIndexOf(" ", SNIPPET_CHARS);
      markTerms(li, text, 0, space > 0 ? space : SNIPPET_CHARS, terms);
      li.append("…");
    }
    return li;
  };

  // This page's URL for the query with some parameters changed (null: removed), as service/browsing.py links:
  // any change but the page's goes back to page 1.
  const linkTo = (query, changes) => {
    const params = new URLSearchParams(location.search);
    if (params.get("q") !== query) params.delete("page");
    params.set("q", query);
    if (!("page" in changes)) params.delete("page");
    for (const [name, value] of Object.entries(changes)) {
      if (value === null || (name === "page" && value === 1)) params.delete(name);
      else params.set(name, String(value));
    }
    return `${location.pathname}?${params}`;
  };

  const anchor = (text, href) => {
    const a = el("a", "", text);
    a.href = href;
    return a;
  };

  const orderSwitch = (query, sort) => {
    const p = el("p", "order", "Order:");
    for (const [name, label] of [["relevance", "best match"], ["date", "newest"]]) {
      if (sort === name) {
        const current = el("strong", "", label);
        current.setAttribute("aria-current", "true");
        p.append(" ", current);
      } else {
        p.append(" ", anchor(label, linkTo(query, { sort: name === "date" ? "date" : null })));
      }
    }
    return p;
  };

  const pageLinks = (query, page, pages) => {
    const nav = el("nav", "pages");
    nav.setAttribute("aria-label", "Result pages");
    if (page > 1) {
      const previous = anchor("Previous page", linkTo(query, { page: Math.min(page - 1, Math.max(pages, 1)) }));
      previous.rel = "prev";
      nav.append(previous);
    }
    if (page <= pages) nav.append(el("span", "", `Page ${page} of ${pages}`));
    if (page < pages) {
      const next = anchor("Next page", linkTo(query, { page: page + 1 }));
      next.rel = "next";
      nav.append(next);
    }
    return nav;
  };

  const facetLinks = (query, facets) => {
    const params = new URLSearchParams(location.search);
    const nav = el("nav", "facets");
    nav.setAttribute("aria-labelledby", "facets-heading");
    const heading = el("h2", "", "Narrow the results");
    heading.id = "facets-heading";
    nav.append(heading);
    for (const [name, label] of FACETS) {
      const options = facets[name] || [];
      if (!options.length) continue;
      const list = el("ul");
      const chosen = params.get(name === "year" ? "from" : name) || "";
      for (const { value, count } of options) {
        const year = { from: `${value}-01-01`, to: `${value}-12-31` };
        const current = name === "year"
          ? params.get("from") === year.from && params.get("to") === year.to
          : chosen !== "" && chosen.toLowerCase() === value.toLowerCase();
        const a = anchor(`${value} `, linkTo(query, name === "year" ? year : { [name]: value }));
        a.append(el("span", "count", `(${count})`));
        if (current) a.setAttribute("aria-current", "true");
        const item = el("li");
        item.append(a);
        list.append(item);
      }
      const set = name === "year" ? params.get("from") || params.get("to") : params.get(name);
      if (set) {
        const item = el("li");
        item.append(anchor(`Any ${name}`, linkTo(query, name === "year" ? { from: null, to: null } : { [name]: null })));
        list.append(item);
      }
      nav.append(el("h3", "", label), list);
    }
    return nav;
  };

  const resultItem = (hit) => {
    const li = el("li", "result");
    li.tabIndex = -1;
    const title = el("h3", hit.post.title ? "result-title" : "result-title untitled");
    const link = postLink(hit.post, "span");
    title.append(link.tagName === "A" ? link : link.textContent);
    const meta = el("p", "meta");
    if (hit.post.author) meta.append(el("span", "author", hit.post.author));
    if (hit.post.published) {
      const time = el("time", "", hit.post.published.slice(0, 10));
      time.dateTime = hit.post.published;
      meta.append(time);
    }
    if (hit.post.source) meta.append(el("span", "source", `source: ${hit.post.source}`));
    li.append(title, meta, marked(hit.text, hit.highlights));
    if (hit.passages && hit.passages.length) {
      const more = el("ul", "more");
      more.setAttribute("aria-label", "More from this post");
      more.append(...hit.passages.map((other) => snippet(other.text, other.highlights)));
      li.append(more);
    }
    return li;
  };

  const render = (query, data) => {
    const results = data.results;
    output.replaceChildren();
    status.classList.remove("error");
    if (data.answer) output.append(answerCard(data.answer));
    const shown = new URLSearchParams(location.search);
    const noun = shown.get("group") === "passage" ? "passage" : "post";
    const total = data.total;
    const pages = Math.ceil(total / data.k);
    if (!results.length && total) {
      status.textContent = `Nothing on page ${data.page}: the ${total} ${noun}${total === 1 ? "" : "s"} for “${query}” end on page ${pages}.`;
    } else if (!results.length) {
      status.textContent = `No post matches “${query}”; try fewer words, another spelling, or a question in plain words`;
      if (FILTERS.some((name) => new URLSearchParams(location.search).get(name))) {
        const unfiltered = el("a", "", "search without the filters");
        unfiltered.href = `${location.pathname}?${new URLSearchParams({ q: query })}`;
        status.append(", or ", unfiltered);
      }
      status.append(".");
    } else {
      const counted = `${total} ${noun}${total === 1 ? "" : "s"} for “${query}”`;
      status.textContent = data.total_exact ? counted : `At least ${counted}`;
      const list = el("ol", "results");
      list.append(...results.map(resultItem));
      const heading = data.answer ? el("h2", "visually-hidden", "Results") : el("h2", "matches", "Best matches");
      output.append(heading);
      if (fullPage) output.append(orderSwitch(query, shown.get("sort") === "date" ? "date" : "relevance"));
      output.append(list);
    }
    if (fullPage && (data.page > 1 || data.page < pages)) output.append(pageLinks(query, data.page, pages));
    if (fullPage && FACETS.some(([name]) => (data.facets[name] || []).length)) {
      output.append(facetLinks(query, data.facets));
    }
    if (more) {
      more.hidden = !results.length;
      more.querySelector("a").href = pageUrl(query, "/");
    }
  };

  const clear = () => {
    output.replaceChildren();
    status.textContent = "";
    status.classList.remove("error");
    if (more) more.hidden = true;
  };

  const showError = (message) => {
    output.removeAttribute("aria-busy");
    status.classList.add("error");
    status.textContent = `Search failed: ${message}`;
  };

  // The page's own URL for a query, keeping any filters (author, tag, from, to, mode) already in it.
  const pageUrl = (query, path = location.pathname) => {
    const params = new URLSearchParams(location.search);
    if (params.get("q") !== query) params.delete("page");
    if (query) params.set("q", query);
    else params.delete("q");
    const search = params.toString();
    return search ? `${path}?${search}` : path;
  };

  const remember = (query, data) => {
    const state = { q: query, data };
    const sameQuery = history.state && history.state.q === query;
    if (settled && !sameQuery) history.pushState(state, "", pageUrl(query));
    else history.replaceState(state, "", pageUrl(query));
    settled = false;
    clearTimeout(settle);
    settle = setTimeout(() => { settled = true; }, SETTLE_MS);
    document.title = query ? `${query} – ${baseTitle}` : baseTitle;
  };

  const search = async (query, { record = true } = {}) => {
    if (controller) controller.abort();
    if (!query.trim()) {
      controller = null;
      clear();
      if (record) remember("", null);
      return;
    }
    controller = new AbortController();
    const params = new URLSearchParams(location.search);
    if (params.get("q") !== query) params.delete("page");
    params.set("q", query);
    if (form.dataset.k) params.set("k", form.dataset.k);
    else params.set("facets", FACETS.map(([name]) => name).join(","));
    output.setAttribute("aria-busy", "true");
    status.classList.remove("error");
    status.textContent = "Searching…";
    let data;
    try {
      const response = await fetch(`${form.dataset.api}?${params}`, { signal: controller.signal });
      data = await response.json();
      queryId = /^[0-9a-f]{32}$/.test(response.headers.get("X-Query-Id") || "") ? response.headers.get("X-Query-Id") : "";
      if (!response.ok) {
        showError(data.error ? data.error.message : `the server answered ${response.status}`);
        return;
      }
    } catch (error) {
      if (error.name === "AbortError") return;
      showError("the search service could not be reached; check your connection and try again.");
      return;
    }
    output.removeAttribute("aria-busy");
    render(query, data);
    if (record) remember(query, data);
  };

  const results = () => [...output.querySelectorAll(".result")];

  const focusResult = (index) => {
    const items = results();
    if (!items.length) return;
    const item = items[Math.max(0, Math.min(index, items.length - 1))];
    item.focus();
  };

  input.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => search(input.value), DEBOUNCE_MS);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearTimeout(debounce);
    settled = true;
    await search(input.value);
    settled = true;
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      focusResult(0);
    }
  });

  output.addEventListener("keydown", (event) => {
    const items = results();
    const current = items.indexOf(event.target.closest(".result"));
    if (current < 0) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      focusResult(current + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      focusResult(event.key === "Home" ? 0 : items.length - 1);
    } else if (event.key === "Escape") {
      input.focus();
    } else if (event.key === "Enter" && event.target === items[current]) {
      const link = items[current].querySelector("a");
      if (link) link.click();
    }
  });

  // "/" jumps to the box from anywhere on the page, as on most search sites.
  document.addEventListener("keydown", (event) => {
    if (event.key === "/" && !event.target.closest("input, textarea, [contenteditable]")) {
      event.preventDefault();
      input.focus();
      input.select();
    }
  });

  window.addEventListener("popstate", (event) => {
    clearTimeout(debounce);
    settled = true;
    const state = event.state || { q: new URLSearchParams(location.search).get("q") || "", data: null };
    input.value = state.q;
    document.title = state.q ? `${state.q} – ${baseTitle}` : baseTitle;
    if (controller) controller.abort();
    if (state.data) render(state.q, state.data);
    else search(state.q, { record: false });
  });

  // The server-rendered page is the first history entry; coming back to it re-runs its query.
  history.replaceState({ q: input.value, data: null }, "", location.href);
})();
