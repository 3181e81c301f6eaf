// Loads of one view that overlap (a click's own reload, a live event's) and arrive in any
// order. Only the newest load may draw, or a slow answer from before a change would show
// the old state again; and a load that brings what the page already shows leaves it alone:
// a redraw replaces the elements under the pointer, and one replaced between a press and
// its release loses the click (and the keyboard focus).

export function loadGate() {
  let latest = 0;
  let shown = null;
  return {
    /** A ticket for a load that starts now. */
    begin: () => ++latest,
    /** Whether a load started after the one holding `ticket`. */
    superseded: (ticket) => ticket !== latest,
    /** Record `data` as shown; false when the page shows exactly that already. */
    news(data) {
      const snapshot = JSON.stringify(data);
      if (snapshot === shown) return false;
      shown = snapshot;
      return true;
    },
    /** Let the next load draw whatever it brings (a first draw, a retry after an error). */
    forget() { shown = null; },
  };
}
