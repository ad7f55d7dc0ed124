// The revision page's zoom (a file, not inline: the app's Content-Security-Policy allows only its own scripts).
(function () {
  const LEVELS = [0.25, 0.33, 0.5, 0.67, 0.75, 0.9, 1, 1.25, 1.5, 2, 2.5, 3, 4];
  const DPIS = JSON.parse(document.getElementById("pages").dataset.dpis);
  const root = document.documentElement;
  const pages = document.getElementById("pages");
  const out = document.getElementById("zoom-level");
  function fit() {
    const perRow = document.querySelector(".row .sheet.old") ? 2 : 1;
    return Math.max(0.25, Math.min(4, (pages.clientWidth - 24 * perRow) / perRow / 816));
  }
  let zoom = parseFloat(sessionStorage.getItem("letters-zoom")) || fit();
  function dpi() {
    const need = 96 * zoom * (window.devicePixelRatio || 1);
    return DPIS.find(d => d >= need) || DPIS[DPIS.length - 1];
  }
  function apply() {
    root.style.setProperty("--zoom", zoom);
    out.textContent = Math.round(zoom * 100) + "%";
    out.dataset.dpi = dpi();
    for (const img of document.querySelectorAll("img.page-img")) {
      const src = img.dataset.base + "?dpi=" + dpi();
      if (img.getAttribute("src") !== src) img.setAttribute("src", src);
    }
    sessionStorage.setItem("letters-zoom", zoom);
  }
  function step(direction) {
    const next = direction > 0 ? LEVELS.find(l => l > zoom + 0.001) : [...LEVELS].reverse().find(l => l < zoom - 0.001);
    if (next) { zoom = next; apply(); }
  }
  document.getElementById("zoom-in").addEventListener("click", () => step(1));
  document.getElementById("zoom-out").addEventListener("click", () => step(-1));
  document.getElementById("zoom-fit").addEventListener("click", () => { zoom = fit(); apply(); });
  function watchDensity() {  // Ctrl and +/- change the pixel ratio: sharper images follow
    matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`).addEventListener("change", () => { apply(); watchDensity(); }, {once: true});
  }
  watchDensity();
  document.addEventListener("click", event => {  // a change's link: its box flashes
    const link = event.target.closest("a.show");
    if (!link) return;
    const box = document.querySelector(link.getAttribute("href"));
    if (box) { box.classList.remove("flash"); void box.offsetWidth; box.classList.add("flash"); }
  });
  apply();
})();
