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
});
