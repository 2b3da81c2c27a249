"use strict";
document.querySelectorAll("table.sortable").forEach(table => {
  const body = table.tBodies[0];
  table.querySelectorAll("th").forEach((th, col) => {
    const sort = () => {
      const num = th.dataset.num === "1", asc = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(h => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      const key = tr => tr.cells[col].dataset.v;
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        let x = key(a), y = key(b);
        if (x === "" || y === "") return (x === "") - (y === "");  // blanks last
        if (num) { x = Number(x); y = Number(y); }
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      });
      body.append(...rows);
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", ev => { if (ev.key === "Enter") sort(); });
  });
});
const filter = document.getElementById("famfilter");
if (filter) filter.addEventListener("input", () => {
  const q = filter.value.trim().toLowerCase();
  document.querySelectorAll("#families tbody tr").forEach(tr => {
    tr.hidden = q !== "" && !tr.cells[0].textContent.toLowerCase().includes(q);
  });
});
const pick = document.getElementById("treepick"), frame = document.getElementById("treeframe");
if (pick && frame) {
  const show = () => { frame.src = pick.value; document.getElementById("treeopen").href = pick.value; };
  pick.addEventListener("change", show);
  document.querySelectorAll("a.tv").forEach(a => a.addEventListener("click", ev => {
    ev.preventDefault(); pick.value = a.getAttribute("href"); show(); frame.scrollIntoView();
  }));
}
document.body.dataset.ready = "1";
