// Mounts Reel's VirtualGrid over 100k synthetic items, scrolls it like a wheel would,
// then jumps to the end; returns DOM size, fetch count and timings. Used by test_browse.py.
(async () => {
  const { VirtualGrid } = await import("/js/ui/virtualgrid.js");
  const { card } = await import("/js/ui/card.js");
  const total = 100000;
  let fetches = 0;
  const fetchPage = async (after, limit) => {
    fetches++;
    const start = after ? Number(after) : 0;
    const n = Math.min(limit, total - start);
    const items = Array.from({ length: n }, (_, k) => ({
      id: start + k + 1, type: "movie", title: `Film ${start + k + 1}`,
      year: 1950 + ((start + k) % 70), source: "x", artwork: {},
    }));
    return { items, next: start + n < total ? String(start + n) : null };
  };
  const host = document.querySelector(".view");
  host.replaceChildren();
  const grid = new VirtualGrid({ fetchPage, renderCard: card, total });
  const renders = [];
  const render = grid.render.bind(grid);
  grid.render = () => {
    const t0 = performance.now();
    render();
    renders.push(performance.now() - t0);
  };
  grid.mount(host);
  const frame = () => new Promise(requestAnimationFrame);
  await frame();
  await frame();
  let maxNodes = 0;
  const times = [];
  // Wheel-like scrolling: 150 px a frame for 240 frames, from the top.
  for (let i = 0; i < 240; i++) {
    const t0 = performance.now();
    window.scrollBy(0, 150);
    await frame();
    times.push(performance.now() - t0);
    maxNodes = Math.max(maxNodes, host.querySelectorAll(".card").length);
  }
  const smooth = renders.splice(0);
  // Then a jump to the very end: pages are fetched one after another until it is there.
  const lastCard = () => document.querySelector('.vgrid .card[data-id="100000"]');
  const deadline = performance.now() + 20000;
  window.scrollTo(0, document.documentElement.scrollHeight);
  while (!lastCard() && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    window.scrollTo(0, document.documentElement.scrollHeight);
  }
  times.sort((a, b) => a - b);
  smooth.sort((a, b) => a - b);
  const q = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))];
  return {
    maxNodes, fetches, last: Boolean(lastCard()),
    nodesAtEnd: host.querySelectorAll(".card").length,
    frameP50: q(times, 0.5), frameP95: q(times, 0.95),
    renderP50: q(smooth, 0.5), renderP95: q(smooth, 0.95),
    loaded: grid.items.length,
  };
})()
