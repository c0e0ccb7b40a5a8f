//! What a person can see and reach in the window, checked from the page's own layout:
//! no notice lies over a button, link or field (nor hides behind an open dialog), and an
//! open dialog's controls are on screen, or in a part of it that scrolls while its
//! buttons stay put. Rectangles come from `getBoundingClientRect` through WebDriver's
//! execute-script, cut to the boxes that scroll or clip them and to the viewport, so a
//! control scrolled out of its box does not count as covered or as on screen.
//!
//! The window's sizes come from here too: 1280 × 800, a common laptop screen, and the
//! smallest size `tauri.conf.json` lets the window have.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::AppWindow;

/// Helpers every check below uses, defined in the page for one script.
/// `box(e)`: the part of `e` a person can see (cut by the boxes that scroll or clip it
/// and by the viewport), or null; `shown(e)`: laid out, visible and not inert;
/// `controls(scope)`: the buttons, links and fields shown in `scope`, notices' own
/// buttons left out; `named(e)`: a few words naming `e` in a failure.
const HELPERS: &str = r#"
  const box = (e) => {
    const r = e.getBoundingClientRect();
    let [x0, y0, x1, y1] = [r.left, r.top, r.right, r.bottom];
    for (let p = e.parentElement; p && p !== document.documentElement; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (/auto|scroll|hidden|clip/.test(s.overflowX + ' ' + s.overflowY)) {
        const q = p.getBoundingClientRect();
        [x0, y0, x1, y1] = [Math.max(x0, q.left), Math.max(y0, q.top), Math.min(x1, q.right), Math.min(y1, q.bottom)];
      }
    }
    [x0, y0, x1, y1] = [Math.max(x0, 0), Math.max(y0, 0), Math.min(x1, innerWidth), Math.min(y1, innerHeight)];
    return x1 - x0 >= 1 && y1 - y0 >= 1 ? { x0, y0, x1, y1 } : null;
  };
  const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden'
    && !e.closest('[inert]');
  const controls = (scope) => [...scope.querySelectorAll(
    'button, a[href], input:not([type=hidden]), select, textarea, [role=switch], canvas')]
    .filter((c) => shown(c) && !c.closest('[data-testid=toast]'));
  const named = (e) => (e.getAttribute('aria-label') || e.textContent || e.value || e.id || e.tagName)
    .trim().replace(/\s+/g, ' ').slice(0, 60);
  const openDialog = () => [...document.querySelectorAll('dialog[open]')].at(-1) ?? null;
"#;

/// Lists each notice shown that lies over a control shown (by more than a pixel each
/// way), or that sits outside the open dialog (behind its backdrop, out of reach).
const NOTICES_CLEAR: &str = r#"
  const dialog = openDialog();
  const reachable = controls(dialog ?? document);
  const problems = [];
  for (const notice of document.querySelectorAll('[data-testid=toast]')) {
    const n = shown(notice) && box(notice);
    if (!n) continue;
    const words = named(notice.querySelector('.toast-text') ?? notice);
    if (dialog && !dialog.contains(notice)) problems.push(`the notice "${words}" is behind the open dialog`);
    for (const control of reachable) {
      const c = box(control);
      if (!c) continue;
      const w = Math.min(n.x1, c.x1) - Math.max(n.x0, c.x0);
      const h = Math.min(n.y1, c.y1) - Math.max(n.y0, c.y0);
      if (w > 1 && h > 1) problems.push(`the notice "${words}" lies over "${named(control)}"`);
    }
  }
  return problems;
"#;

/// Lists each control of the open dialog a person cannot see: one not inside a part of
/// the dialog that scrolls must lie wholly on screen and inside the dialog; one inside
/// such a part needs that part on screen and must fit it across (up and down it can be
/// scrolled to).
const DIALOG_ON_SCREEN: &str = r#"
  const dialog = openDialog();
  if (!dialog) return ['no dialog is open'];
  const problems = [];
  const d = dialog.getBoundingClientRect();
  const inside = (r, q) => r.left >= q.left - 0.5 && r.top >= q.top - 0.5
    && r.right <= q.right + 0.5 && r.bottom <= q.bottom + 0.5;
  const screen = { left: 0, top: 0, right: innerWidth, bottom: innerHeight };
  if (!inside(d, screen)) problems.push(`the dialog (${Math.round(d.width)} x ${Math.round(d.height)}) is larger than the window`);
  for (const control of controls(dialog)) {
    const r = control.getBoundingClientRect();
    let scroller = null;
    for (let p = control.parentElement; p && p !== dialog; p = p.parentElement) {
      if (/auto|scroll/.test(getComputedStyle(p).overflowY) && p.scrollHeight > p.clientHeight + 1) {
        scroller = p;
        break;
      }
    }
    if (scroller) {
      const q = scroller.getBoundingClientRect();
      if (!inside(q, screen) || r.left < q.left - 0.5 || r.right > q.right + 0.5) {
        problems.push(`"${named(control)}" is in a scrolling part that does not fit the window`);
      }
    } else if (!inside(r, screen) || !inside(r, d)) {
      problems.push(`"${named(control)}" is off screen (top ${Math.round(r.top)}, bottom ${Math.round(r.bottom)}, window ${innerWidth} x ${innerHeight})`);
    }
  }
  return problems;
"#;

/// Lists each element matching one of the selectors (`arguments[0]`) that is missing or
/// not wholly visible now, without scrolling.
const IN_VIEW: &str = r#"
  const problems = [];
  for (const css of arguments[0]) {
    const e = [...document.querySelectorAll(css)].find(shown);
    if (!e) { problems.push(`${css} is not shown`); continue; }
    const r = e.getBoundingClientRect();
    const b = box(e);
    if (!b || b.x0 > r.left + 0.5 || b.y0 > r.top + 0.5 || b.x1 < r.right - 0.5 || b.y1 < r.bottom - 0.5) {
      problems.push(`"${named(e)}" (${css}) is not wholly on screen (top ${Math.round(r.top)}, bottom ${Math.round(r.bottom)}, window ${innerWidth} x ${innerHeight})`);
    }
  }
  return problems;
"#;

impl AppWindow {
    /// Makes the window `width` × `height` and waits until the page has that room.
    pub async fn resize(&self, width: u32, height: u32) -> Result<()> {
        self.driver()
            .set_window_rect(0, 0, width, height)
            .await
            .with_context(|| format!("the window at {width} × {height}"))?;
        // Window decorations, where there are any, take a little of the room.
        let size = self
            .wait_for(
                &format!("the page to be about {width} × {height}"),
                &format!(
                    "return innerWidth <= {width} && innerWidth > {width} - 80 \
                       && innerHeight <= {height} && innerHeight > {height} - 80 \
                       && [innerWidth, innerHeight];"
                ),
            )
            .await?;
        eprintln!("[layout] the window at {width} × {height}: the page has {size}");
        Ok(())
    }

    /// The smallest the window can be: `minWidth` × `minHeight` in tauri.conf.json.
    pub fn smallest_size() -> Result<(u32, u32)> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tauri.conf.json");
        let config: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)
            .with_context(|| format!("reading {}", path.display()))?;
        let window = &config["app"]["windows"][0];
        let size = |key: &str| {
            window[key]
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .with_context(|| format!("{key} in {}", path.display()))
        };
        Ok((size("minWidth")?, size("minHeight")?))
    }

    /// Fails when a notice shown lies over a button, link or field shown, or hides
    /// behind an open dialog; `step` names the moment in the failure.
    pub async fn ensure_notices_clear(&self, step: &str) -> Result<()> {
        let problems = self.layout_problems(NOTICES_CLEAR, Vec::new()).await?;
        self.fail_on(step, &problems).await
    }

    /// Fails when a button, link or field of the open dialog is off screen (see
    /// `DIALOG_ON_SCREEN`), or a notice lies over one; `step` names the moment.
    pub async fn ensure_dialog_on_screen(&self, step: &str) -> Result<()> {
        let mut problems = self.layout_problems(DIALOG_ON_SCREEN, Vec::new()).await?;
        problems.extend(self.layout_problems(NOTICES_CLEAR, Vec::new()).await?);
        self.fail_on(step, &problems).await
    }

    /// Fails unless the first shown element matching each of `selectors` is wholly on
    /// screen now, without scrolling; `step` names the moment.
    pub async fn ensure_in_view(&self, step: &str, selectors: &[&str]) -> Result<()> {
        let problems = self
            .layout_problems(IN_VIEW, vec![json!(selectors)])
            .await?;
        self.fail_on(step, &problems).await
    }

    /// Fails with `problems`, if there are any, after a screenshot of the window as it
    /// was (`layout-problem.png`), to see them by.
    async fn fail_on(&self, step: &str, problems: &[Value]) -> Result<()> {
        if problems.is_empty() {
            return Ok(());
        }
        let picture = self.screenshot("layout-problem").await;
        let picture = picture.map_or_else(
            |e| format!("no screenshot: {e}"),
            |p| p.display().to_string(),
        );
        bail!("{step}: {problems:?} (the window: {picture})")
    }

    async fn layout_problems(&self, check: &str, args: Vec<Value>) -> Result<Vec<Value>> {
        let problems = self.script(&format!("{HELPERS}\n{check}"), args).await?;
        Ok(problems.as_array().cloned().unwrap_or_default())
    }
}
