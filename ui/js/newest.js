// Loads that can overlap (a refresh starting while another is under way) show only the
// newest answer, so an older, slower answer never paints over a newer one.

// Returns `load(options)`: it calls `fetch()`, and unless a newer load started
// meanwhile, hands `{ answer, failure }` and the options to `show`. An overtaken load
// resolves when the newest one has finished, so whoever awaits it sees the screen as
// it ends up.
export function newestOnly(fetch, show) {
  let count = 0;
  let newest = Promise.resolve();

  async function once(options) {
    const mine = ++count;
    let answer;
    let failure = null;
    try {
      answer = await fetch();
    } catch (error) {
      failure = error;
    }
    if (mine !== count) return newest;
    return show({ answer, failure }, options);
  }

  return (options) => {
    newest = once(options);
    return newest;
  };
}
