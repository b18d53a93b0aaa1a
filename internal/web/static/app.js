// Small progressive enhancements; every page works without this script.
document.addEventListener("DOMContentLoaded", () => {
  // Ask before destructive actions (forms marked data-confirm).
  document.querySelectorAll("form[data-confirm]").forEach((f) => {
    f.addEventListener("submit", (e) => {
      if (!window.confirm(f.dataset.confirm)) e.preventDefault();
    });
  });
  // Expand or collapse the whole org tree.
  document.querySelectorAll("[data-tree-toggle]").forEach((b) => {
    b.hidden = false;
    b.addEventListener("click", () => {
      const open = b.dataset.treeToggle === "open";
      document.querySelectorAll(".tree details").forEach((d) => (d.open = open));
    });
  });
  // Print buttons (the printable review): shown only when the script runs.
  document.querySelectorAll("[data-print]").forEach((b) => {
    b.hidden = false;
    b.addEventListener("click", () => window.print());
  });
  // The phone menu: a button folds the menu away; without the script the
  // menu wraps onto as many lines as it needs.
  document.querySelectorAll("[data-menu-toggle]").forEach((b) => {
    const header = b.closest("header");
    const nav = document.getElementById(b.getAttribute("aria-controls"));
    if (!header || !nav) return;
    b.hidden = false;
    header.classList.add("menu-js");
    b.addEventListener("click", () => {
      const open = b.getAttribute("aria-expanded") !== "true";
      b.setAttribute("aria-expanded", String(open));
      header.classList.toggle("menu-open", open);
    });
  });
  // Unit search pickers.
  document.querySelectorAll("input[data-unit-picker]").forEach(unitPicker);
  // Import jobs: follow the job's DHIS2 status URL.
  document.querySelectorAll("[data-job-status]").forEach(jobProgress);
});

// jobProgress moves an import job's progress bar by polling its status
// URL (DHIS2's notifications, newest first) and reloads the page when the
// job has ended, to show the summary. Without the script the page
// refreshes itself (a meta refresh inside noscript).
function jobProgress(el) {
  const bar = el.querySelector("progress");
  const msg = el.querySelector("[data-job-message]");
  const tick = () =>
    fetch(el.dataset.jobStatus, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((list) => {
        const last = list[0];
        if (last && last.completed) return window.location.reload();
        const d = (list.find((n) => n.data) || {}).data;
        if (d) {
          if (bar) bar.value = d.percent;
          if (msg && el.dataset.msgRead)
            msg.textContent = el.dataset.msgRead.replace("{read}", d.read.toLocaleString("vi-VN")).replace("{percent}", d.percent);
        }
        setTimeout(tick, 1000);
      })
      .catch(() => setTimeout(tick, 3000));
  tick();
}

// unitPicker turns a field of unit codes (data-unit-picker="one" or
// "many") into a search box: typing asks /units/picker (names or codes,
// accents aside), a choice is added as a chip, and the field underneath,
// still the one the form submits, holds the chosen codes. Texts come from
// data-picker-* attributes of an enclosing element (the catalogues).
function unitPicker(field) {
  const many = field.dataset.unitPicker === "many";
  const host = field.closest("[data-picker-none]") || field;
  const text = (k) => host.dataset["picker" + k] || "";
  const id = field.id;
  const wrap = document.createElement("div");
  wrap.className = "picker";
  const chips = document.createElement("ul");
  chips.className = "chips";
  const box = document.createElement("input");
  box.type = "search";
  box.id = id + "-search";
  box.autocomplete = "off";
  box.placeholder = text("Placeholder");
  box.setAttribute("role", "combobox");
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-expanded", "false");
  for (const a of ["aria-describedby", "aria-invalid"]) {
    if (field.hasAttribute(a)) box.setAttribute(a, field.getAttribute(a));
  }
  const list = document.createElement("ul");
  list.id = id + "-list";
  list.className = "picker-list";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  box.setAttribute("aria-controls", list.id);
  const status = document.createElement("p");
  status.className = "hint picker-status";
  status.setAttribute("role", "status");
  wrap.append(chips, box, list, status);
  field.parentNode.insertBefore(wrap, field);
  field.hidden = true;
  const label = document.querySelector('label[for="' + id + '"]');
  if (label) label.htmlFor = box.id;

  const split = (s) => s.toUpperCase().split(/[\s,;]+/).filter(Boolean);
  let chosen = split(field.value).map((code) => ({ code, label: code }));
  let results = [];
  let active = -1;
  let asked = 0;

  const show = () => {
    field.value = chosen.map((c) => c.code).join(", ");
    chips.replaceChildren(...chosen.map((c) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = c.label === c.code ? c.code : c.label + " (" + c.code + ")";
      const x = document.createElement("button");
      x.type = "button";
      x.textContent = "×";
      x.setAttribute("aria-label", text("Remove") + " " + name.textContent);
      x.addEventListener("click", () => {
        chosen = chosen.filter((o) => o.code !== c.code);
        show();
        box.focus();
      });
      li.append(name, x);
      return li;
    }));
    chips.hidden = chosen.length === 0;
  };
  const close = () => {
    list.hidden = true;
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const mark = (i) => {
    active = i;
    list.querySelectorAll("[role=option]").forEach((li, j) => li.setAttribute("aria-selected", String(j === i)));
    if (i >= 0) {
      box.setAttribute("aria-activedescendant", list.id + "-" + i);
      list.children[i].scrollIntoView({ block: "nearest" });
    }
  };
  const choose = (u) => {
    if (!many) chosen = [];
    if (!chosen.some((c) => c.code === u.code)) chosen.push(u);
    box.value = "";
    close();
    show();
    status.textContent = text("Added") + " " + u.label;
  };
  const search = async () => {
    const q = box.value.trim();
    const n = ++asked;
    if (!q) return close();
    const params = new URLSearchParams({ q });
    const date = host.querySelector && host.querySelector("[data-picker-date]");
    if (date && date.value) params.set("asOf", date.value);
    let found = [];
    try {
      const res = await fetch("/units/picker?" + params, { headers: { Accept: "application/json" } });
      if (res.ok) found = await res.json();
    } catch (e) {
      found = [];
    }
    if (n !== asked) return; // a later query is under way
    results = found;
    list.replaceChildren(...found.map((u, i) => {
      const li = document.createElement("li");
      li.id = list.id + "-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.textContent = u.label + " (" + u.code + ")";
      li.addEventListener("mousedown", (e) => e.preventDefault());
      li.addEventListener("click", () => choose(u));
      return li;
    }));
    list.hidden = found.length === 0;
    box.setAttribute("aria-expanded", String(found.length > 0));
    status.textContent = found.length ? "" : text("None");
    active = -1;
  };
  let timer = 0;
  box.addEventListener("input", () => {
    status.textContent = "";
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
  box.addEventListener("keydown", (e) => {
    const open = !list.hidden && results.length > 0;
    if (e.key === "ArrowDown" && open) {
      e.preventDefault();
      mark((active + 1) % results.length);
    } else if (e.key === "ArrowUp" && open) {
      e.preventDefault();
      mark(active <= 0 ? results.length - 1 : active - 1);
    } else if (e.key === "Enter") {
      // Enter picks, and never sends the form with a half-typed search
      // (nor with the one just chosen: see keypress).
      if (box.value.trim()) {
        e.preventDefault();
        swallow = true;
      }
      if (open && (active >= 0 || results.length === 1)) choose(results[Math.max(active, 0)]);
    } else if (e.key === "Escape" && open) {
      e.preventDefault();
      close();
    }
  });
  // Some keyboards (and automation) deliver Enter's character apart from
  // its keydown: it must not send the form either.
  let swallow = false;
  box.addEventListener("keypress", (e) => {
    if (e.key === "Enter" && swallow) e.preventDefault();
  });
  box.addEventListener("keyup", () => (swallow = false));
  box.addEventListener("blur", () => setTimeout(close, 150));
  // A code typed into the box and not chosen still goes with the form.
  const form = field.form;
  if (form) {
    form.addEventListener("submit", () => {
      for (const code of split(box.value)) {
        if (!many) chosen = [];
        if (!chosen.some((c) => c.code === code)) chosen.push({ code, label: code });
      }
      field.value = chosen.map((c) => c.code).join(", ");
    });
  }
  show();
  if (chosen.length) {
    fetch("/units/picker?" + new URLSearchParams({ codes: field.value }), { headers: { Accept: "application/json" } })
      .then((res) => (res.ok ? res.json() : []))
      .then((units) => {
        for (const u of units) {
          const c = chosen.find((o) => o.code === u.code);
          if (c) c.label = u.label;
        }
        show();
      })
      .catch(() => {});
  }
}
