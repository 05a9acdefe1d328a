// enrich console: keyboard shortcuts for the review queue, live rule preview, small helpers.
// No framework and no build step; every request carries the page's CSRF token.
(function () {
  "use strict";
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  function typing(event) {
    const t = event.target;
    return t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
  }

  // Review queue: j/k move between profiles, n/p between candidates, c/r decide, / search, ? help.
  function reviewKeys() {
    const review = document.querySelector(".review");
    const help = document.getElementById("help");
    const helpButton = document.querySelector("[data-help]");
    if (helpButton && help) helpButton.addEventListener("click", () => help.showModal());
    if (!help) return;
    const candidates = () => Array.from(document.querySelectorAll(".candidate"));
    const current = () => document.querySelector(".candidate.current") || candidates()[0];
    function move(step) {
      const all = candidates();
      if (!all.length) return;
      const i = Math.max(0, Math.min(all.length - 1, all.indexOf(current()) + step));
      all.forEach((c) => c.classList.remove("current"));
      all[i].classList.add("current");
      all[i].scrollIntoView({ block: "nearest" });
    }
    document.addEventListener("keydown", (event) => {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
      const click = (el) => { if (el) { event.preventDefault(); el.click(); } };
      switch (event.key) {
        case "j": click(document.getElementById("next")); break;
        case "k": click(document.getElementById("prev")); break;
        case "n": move(1); break;
        case "p": move(-1); break;
        case "c": if (review) click(current() && current().querySelector('[data-action="confirm"]')); break;
        case "r": if (review) click(current() && current().querySelector('[data-action="reject"]')); break;
        case "/": {
          const box = document.getElementById("mirror-search");
          if (box) { event.preventDefault(); box.focus(); }
          break;
        }
        case "?": event.preventDefault(); help.open ? help.close() : help.showModal(); break;
      }
    });
  }

  // Rules editor: "Preview on stored data" posts the text and shows what would change.
  function rulesPreview() {
    const form = document.getElementById("rules-form");
    const button = document.getElementById("preview-button");
    if (!form || !button) return;
    const box = document.getElementById("preview");
    const out = document.getElementById("preview-body");
    const el = (tag, text, cls) => {
      const node = document.createElement(tag);
      if (text !== undefined) node.textContent = text; // textContent: never markup
      if (cls) node.className = cls;
      return node;
    };
    button.addEventListener("click", async () => {
      box.hidden = false;
      out.replaceChildren(el("p", "Running the rules over stored data…", "muted"));
      button.disabled = true;
      try {
        const answer = await fetch(form.dataset.preview, {
          method: "POST", body: new FormData(form), headers: { "X-CSRFToken": csrf() },
          credentials: "same-origin",
        });
        const data = await answer.json();
        out.replaceChildren();
        if (!answer.ok) {
          out.append(el("p", data.error ? data.error.message : "Preview failed.", "flash error"));
          return;
        }
        const counts = el("div", undefined, "preview-counts");
        const labels = { gained: "links gained", lost: "links lost", moved: "moved to another record",
          to_review: "moved to review", new_review: "new review items", review_dropped: "leave review", unchanged: "unchanged",
          up: "scores up", down: "scores down", cross_handoff: "cross hand-off" };
        for (const [key, value] of Object.entries(data.counts || {})) {
          const cell = el("div");
          cell.append(el("strong", String(value)), el("span", labels[key] || key, "muted small"));
          cell.dataset.count = key;
          counts.append(cell);
        }
        out.append(counts);
        const checked = (data.profiles_checked !== undefined
          ? `${data.profiles_checked} profiles checked (${data.human_decided} decided by people are kept).`
          : `${data.people_checked} people re-scored.`) + (!data.truncated ? ""
          : data.profiles_total !== undefined
            ? ` A sample: the first ${data.profiles_checked + data.human_decided} of ${data.profiles_total} stored profiles.`
            : " A sample: the most recently active people only.");
        out.append(el("p", checked, "muted small"));
        for (const [key, rows] of Object.entries(data.examples || {})) {
          if (!rows.length) continue;
          out.append(el("h3", labels[key] || key));
          const list = el("ul", undefined, "history");
          for (const row of rows) {
            const text = row.profile !== undefined
              ? `${row.profile} → ${row.record || "no record"}${row.score != null ? ` (${Number(row.score).toFixed(1)})` : ""}`
              : `${row.record || row.record_id}: ${row.before} → ${row.after}`;
            list.append(el("li", text));
          }
          out.append(list);
        }
      } catch (error) {
        out.replaceChildren(el("p", "Preview failed: " + error, "flash error"));
      } finally {
        button.disabled = false;
      }
    });
  }

  // Rules editor: line numbers that follow the text and its scrolling; the validation error
  // sits beside the line it is about, and a click on it selects that line.
  function codeEditor() {
    const box = document.querySelector("[data-editor]");
    if (!box) return;
    const area = box.querySelector("textarea");
    const gutter = box.querySelector(".gutter");
    const note = box.querySelector(".line-note");
    const lineHeight = () => parseFloat(getComputedStyle(area).lineHeight) || 18;
    const top = () => parseFloat(getComputedStyle(area).paddingTop) || 0;
    function numbers() {
      const lines = area.value.split("\n").length;
      if (gutter.children.length === lines) return;
      const marked = note ? Number(note.dataset.line) : 0;
      gutter.replaceChildren(...Array.from({ length: lines }, (_, i) => {
        const li = document.createElement("li");
        li.textContent = String(i + 1);
        if (i + 1 === marked) li.className = "error";
        return li;
      }));
    }
    function place() {
      gutter.scrollTop = area.scrollTop;
      if (!note) return;
      const y = top() + (Number(note.dataset.line) - 1) * lineHeight() - area.scrollTop;
      note.hidden = y < 0 || y > area.clientHeight - lineHeight() / 2;
      note.style.top = `${y}px`;
    }
    area.addEventListener("input", () => { numbers(); place(); });
    area.addEventListener("scroll", place);
    if (note) {
      note.addEventListener("click", () => {
        const lines = area.value.split("\n");
        const n = Number(note.dataset.line) - 1;
        const start = lines.slice(0, n).reduce((sum, line) => sum + line.length + 1, 0);
        area.focus();
        area.setSelectionRange(start, start + (lines[n] || "").length);
      });
      // Bring the line into view first, a few lines from the top.
      area.scrollTop = Math.max(0, (Number(note.dataset.line) - 4) * lineHeight());
    }
    numbers();
    place();
  }

  function small() {
    document.querySelectorAll("[data-autosubmit]").forEach((s) =>
      s.addEventListener("change", () => s.form.submit()));
    document.querySelectorAll("form[data-confirm]").forEach((f) =>
      f.addEventListener("submit", (event) => { if (!window.confirm(f.dataset.confirm)) event.preventDefault(); }));
  }

  // Training runs in the background: follow its progress, then show the page again with the
  // outcome and the new version in the list.
  function trainingProgress() {
    const box = document.getElementById("training");
    if (!box || !("going" in box.dataset)) return;
    const bar = document.getElementById("training-progress");
    const phase = document.getElementById("training-phase");
    const poll = async () => {
      try {
        const answer = await fetch(box.dataset.url, { credentials: "same-origin" });
        if (answer.ok) {
          const run = await answer.json();
          if (!run.going) { window.location.reload(); return; }
          bar.value = run.progress;
          bar.textContent = Math.round(run.progress * 100) + " %";
          phase.textContent = run.phase; // textContent: never markup
        }
      } catch (error) { /* the server restarts or the network blinks: ask again */ }
      window.setTimeout(poll, 1000);
    };
    window.setTimeout(poll, 500);
  }

  document.addEventListener("DOMContentLoaded", () => { reviewKeys(); rulesPreview(); codeEditor(); small(); trainingProgress(); });
})();
