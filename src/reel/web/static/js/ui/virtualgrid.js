// A poster grid that renders only the rows in view (plus a little overscan) and fetches
// keyset pages as the reader scrolls toward them, so 100k items cost what one screen does.
import { h } from "../dom.js";
import { skeletonCard } from "./card.js";

const OVERSCAN_ROWS = 2;
const CAPTION_PX = 46;

export class VirtualGrid {
  /**
   * @param {object} o
   * @param {(after: string|null, limit: number, signal: AbortSignal) => Promise<{items: any[], next: string|null, total?: number}>} o.fetchPage
   * @param {(item: any) => HTMLElement} o.renderCard
   * @param {number} [o.aspect] poster height / width
   * @param {number} [o.total] how many items there are, when known (sizes the scrollbar)
   */
  constructor({ fetchPage, renderCard, aspect = 1.5, total = null, shape = "portrait", onState, emptyView }) {
    this.fetchPage = fetchPage;
    this.renderCard = renderCard;
    this.aspect = aspect;
    this.shape = shape;
    this.onState = onState || (() => {});
    this.emptyView = emptyView;
    this.items = [];
    this.next = null;
    this.done = false;
    this.total = total;
    this.totalCapped = false;
    this.loading = false;
    this.error = null;
    this.generation = 0;
    this.nodes = new Map(); // index -> element
    this.cols = 1;
    this.rowH = 1;
    this.cardW = 1;
    this.gap = 18;
    this.frame = 0;
    this.el = h("div", { class: "vgrid", role: "grid", "aria-label": "Library items", "aria-busy": "true" });
    this.inner = h("div", { class: "vgrid-inner", role: "rowgroup" });
    this.status = h("div", { class: "vgrid-status", role: "status" });
    this.el.append(this.inner, this.status);
    this.onScroll = () => this.schedule();
    this.resizeObserver = new ResizeObserver(() => { this.layout(); this.schedule(); });
    this.el.addEventListener("keydown", (e) => this.onKey(e));
  }

  mount(parent) {
    parent.append(this.el);
    window.addEventListener("scroll", this.onScroll, { passive: true });
    this.resizeObserver.observe(this.el);
    this.layout();
    this.load();
    return this;
  }

  destroy() {
    this.generation += 1;
    this.abort?.abort();
    cancelAnimationFrame(this.frame);
    window.removeEventListener("scroll", this.onScroll);
    this.resizeObserver.disconnect();
    this.el.remove();
  }

  /** Start over (new filters or sort) without losing the scroll listener. */
  reset({ fetchPage, total = null } = {}) {
    if (fetchPage) this.fetchPage = fetchPage;
    this.generation += 1;
    this.abort?.abort();
    this.items = [];
    this.next = null;
    this.done = false;
    this.total = total;
    this.totalCapped = false;
    this.error = null;
    this.loading = false;
    for (const node of this.nodes.values()) node.remove();
    this.nodes.clear();
    this.el.setAttribute("aria-busy", "true");
    this.layout();
    this.load();
  }

  /** Re-fetch what is loaded, keeping the place (after a sync changed the library). */
  refresh() {
    const keep = Math.max(this.items.length, 100);
    const y = window.scrollY;
    this.reset({ total: this.total });
    this.wantAtLeast = keep;
    requestAnimationFrame(() => window.scrollTo(0, y));
  }

  layout() {
    const width = this.el.clientWidth || this.el.parentElement?.clientWidth || 800;
    const css = getComputedStyle(document.documentElement);
    const min = parseFloat(css.getPropertyValue("--card-min")) || 150;
    const minW = this.shape === "portrait" ? min : min * 1.3;
    this.gap = parseFloat(css.getPropertyValue("--gap")) || 18;
    this.cols = Math.max(1, Math.floor((width + this.gap) / (minW + this.gap)));
    this.cardW = (width - this.gap * (this.cols - 1)) / this.cols;
    this.rowH = this.cardW * this.aspect + CAPTION_PX + this.gap;
    for (const node of this.nodes.values()) node.remove();
    this.nodes.clear();
    this.sizeInner();
  }

  count() {
    if (this.total != null && !this.done) return Math.max(this.total, this.items.length);
    return this.items.length;
  }

  sizeInner() {
    let n = this.count();
    if (!this.done && this.total == null) n += this.cols * 2; // room for skeleton rows
    const rows = Math.ceil(n / this.cols);
    this.inner.style.height = `${Math.max(0, rows * this.rowH - this.gap)}px`;
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  visibleRange() {
    const rect = this.el.getBoundingClientRect();
    const top = Math.max(0, -rect.top);
    const bottom = Math.max(0, window.innerHeight - rect.top);
    const firstRow = Math.max(0, Math.floor(top / this.rowH) - OVERSCAN_ROWS);
    const lastRow = Math.ceil(bottom / this.rowH) + OVERSCAN_ROWS;
    return [firstRow * this.cols, (lastRow + 1) * this.cols];
  }

  render() {
    const [start, endRaw] = this.visibleRange();
    const limit = this.done ? this.items.length : this.count() + (this.total == null ? this.cols * 2 : 0);
    const end = Math.min(endRaw, limit);
    for (const [index, node] of this.nodes) {
      const stale = node.dataset.skeleton === "1" && index < this.items.length;
      if (index < start || index >= end || stale) {
        if (node.contains(document.activeElement)) continue; // keep the focused card alive
        node.remove();
        this.nodes.delete(index);
      }
    }
    const frag = document.createDocumentFragment();
    for (let i = start; i < end; i++) {
      if (this.nodes.has(i)) continue;
      const item = this.items[i];
      const node = item ? this.renderCard(item) : skeletonCard(this.shape);
      if (!item) node.dataset.skeleton = "1";
      node.dataset.index = String(i);
      node.setAttribute("role", "gridcell");
      if (item) node.tabIndex = i === this.focusIndex ? 0 : (this.focusIndex == null && i === 0 ? 0 : -1);
      const col = i % this.cols;
      const row = Math.floor(i / this.cols);
      node.style.width = `${this.cardW}px`;
      node.style.transform = `translate(${col * (this.cardW + this.gap)}px, ${row * this.rowH}px)`;
      this.nodes.set(i, node);
      frag.append(node);
    }
    this.inner.append(frag);
    const want = Math.max(endRaw + this.cols * 4, this.wantAtLeast || 0);
    if (!this.done && !this.loading && !this.error && this.items.length < want) this.load();
  }

  async load() {
    if (this.loading || this.done) return;
    const gen = this.generation;
    this.loading = true;
    this.abort = new AbortController();
    this.status.textContent = "";
    try {
      const [, end] = this.visibleRange();
      const behind = Math.max(0, end - this.items.length, (this.wantAtLeast || 0) - this.items.length);
      const limit = Math.min(500, Math.max(120, behind + this.cols * 6));
      const page = await this.fetchPage(this.next, limit, this.abort.signal);
      if (gen !== this.generation) return;
      this.items.push(...page.items);
      this.next = page.next;
      this.done = !page.next || page.items.length === 0;
      // A capped total ("10,000 or more") still sizes the scrollbar; the label says "+".
      if (typeof page.total === "number") { this.total = page.total; this.totalCapped = Boolean(page.total_capped); }
      if (this.done) { this.total = this.items.length; this.totalCapped = false; }
      this.el.setAttribute("aria-busy", "false");
      this.sizeInner();
      this.onState({ loaded: this.items.length, total: this.total, capped: this.totalCapped, done: this.done });
      if (this.done && this.items.length === 0 && this.emptyView) this.status.replaceChildren(this.emptyView());
    } catch (err) {
      if (err.name === "AbortError" || gen !== this.generation) return;
      this.error = err;
      this.el.setAttribute("aria-busy", "false");
      const retry = h("button", { class: "btn small", type: "button", onclick: () => { this.error = null; this.load(); } }, "Try again");
      this.status.replaceChildren(h("span", null, `${err.message} `), retry);
      this.onState({ loaded: this.items.length, total: this.total, done: this.done, error: err });
    } finally {
      if (gen === this.generation) {
        this.loading = false;
        this.schedule();
      }
    }
  }

  onKey(e) {
    const node = e.target.closest?.("[data-index]");
    if (!node) return;
    const index = Number(node.dataset.index);
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: this.cols, ArrowUp: -this.cols, Home: -index, End: this.items.length - 1 - index };
    if (!(e.key in moves)) return;
    e.preventDefault();
    const target = Math.max(0, Math.min(this.items.length - 1, index + moves[e.key]));
    this.focusAt(target);
  }

  focusAt(index) {
    this.focusIndex = index;
    const row = Math.floor(index / this.cols);
    const gridTop = this.el.getBoundingClientRect().top + window.scrollY;
    const y = gridTop + row * this.rowH;
    const topbar = 70;
    if (y < window.scrollY + topbar) window.scrollTo(0, y - topbar);
    else if (y + this.rowH > window.scrollY + window.innerHeight) window.scrollTo(0, y + this.rowH - window.innerHeight + 10);
    this.render();
    const node = this.nodes.get(index);
    if (node) {
      for (const n of this.nodes.values()) if (n.tabIndex === 0 && n !== node) n.tabIndex = -1;
      node.tabIndex = 0;
      node.focus({ preventScroll: true });
    }
  }
}
