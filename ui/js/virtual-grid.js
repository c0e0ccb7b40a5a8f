// A virtualised grid of square tiles under date headings.
// An album can hold tens of thousands of photos; building a button for each would make
// it slow to open and heavy to scroll. So the grid is laid out as arithmetic (rows of
// fixed-size tiles and heading rows, each with a known top), and only the rows near the
// visible part are in the DOM, absolutely positioned inside a canvas as tall as the
// whole album. When the album changes under the person (the folder watcher found new
// photos), the grid is updated keeping the photo at the top of the view in place.

import { h } from './dom.js';

const MIN_TILE = 220;
const GAP = 12;
const HEADING_HEIGHT = 76;
// How far beyond the visible area rows are kept ready, so fast scrolling and
// tabbing to the next row never meet an empty space.
const OVERSCAN_PX = 900;

export class PhotoGrid {
  // `scroller` is the scrolling element; `canvas` sits inside it and holds the rows.
  // `renderTile(item, index)` returns a focusable element for one item.
  // `onOpen(index)` runs when a tile is clicked or pressed.
  constructor(scroller, canvas, { renderTile, onOpen }) {
    this.scroller = scroller;
    this.canvas = canvas;
    this.renderTile = renderTile;
    this.onOpen = onOpen;

    this.sections = [];
    this.items = [];
    this.rows = [];
    this.rowOfItem = new Int32Array(0);
    this.rendered = new Map(); // row index → element in the DOM
    this.width = 0;
    this.frame = 0;

    scroller.addEventListener('scroll', () => this.scheduleRender(), { passive: true });
    canvas.addEventListener('click', (event) => {
      const tile = event.target.closest('[data-index]');
      if (tile) this.onOpen(Number(tile.dataset.index));
    });
    canvas.addEventListener('keydown', (event) => this.moveFocusWithArrows(event));
    // `error` does not bubble, hence the capture listener: one for all thumbnails.
    canvas.addEventListener('error', (event) => {
      if (event.target instanceof HTMLImageElement) event.target.classList.add('is-broken');
    }, true);
    new ResizeObserver(() => this.onResize()).observe(scroller);
  }

  // sections: [{ heading: string, items: [...] }]. Items are numbered across all
  // sections in order; that number is the index given to renderTile and onOpen.
  setSections(sections) {
    this.sections = sections;
    this.items = sections.flatMap((section) => section.items);
    this.removeAllRows();
    this.scroller.scrollTop = 0;
    this.layout();
    this.render();
  }

  clear() {
    this.setSections([]);
  }

  // Like setSections, but keeps the person's place: the photo at the top of the view
  // stays there and keyboard focus stays on the same photo. `keyOf(item)` says which
  // old and new items are the same photo; when one is gone, the nearest one after it
  // that is still there (or else before it) takes its place.
  updateSections(sections, keyOf) {
    const oldItems = this.items;
    const anchor = this.firstVisibleItem();
    const anchorShift = anchor == null ? 0 : this.scroller.scrollTop - this.itemTop(anchor);
    const focused = this.focusedItem();

    this.sections = sections;
    this.items = sections.flatMap((section) => section.items);
    const newIndexOf = new Map(this.items.map((item, index) => [keyOf(item), index]));
    const follow = (oldIndex) => {
      for (let i = oldIndex; i < oldItems.length; i += 1) {
        if (newIndexOf.has(keyOf(oldItems[i]))) return newIndexOf.get(keyOf(oldItems[i]));
      }
      for (let i = oldIndex - 1; i >= 0; i -= 1) {
        if (newIndexOf.has(keyOf(oldItems[i]))) return newIndexOf.get(keyOf(oldItems[i]));
      }
      return null;
    };

    this.removeAllRows();
    if (!this.layout()) return;
    const newAnchor = anchor == null ? null : follow(anchor);
    if (newAnchor != null) this.scroller.scrollTop = this.itemTop(newAnchor) + anchorShift;
    this.render();
    const newFocused = focused == null ? null : follow(focused);
    if (newFocused != null) this.focusItem(newFocused);
  }

  // Moves keyboard focus to a tile, scrolling it into view first if needed.
  focusItem(index, { block = 'nearest' } = {}) {
    if (!this.rows.length || index < 0 || index >= this.items.length) return;
    this.scrollItemIntoView(index, block);
    this.render();
    const tile = this.canvas.querySelector(`[data-index="${index}"]`);
    tile?.focus({ preventScroll: true });
  }

  layout() {
    const width = this.canvas.clientWidth;
    this.width = width;
    this.rows = [];
    if (!width) return false; // hidden; the ResizeObserver calls again when shown

    const columns = Math.max(1, Math.floor((width + GAP) / (MIN_TILE + GAP)));
    // Whole pixels keep thumbnails sharp; the few spare pixels go to the right edge.
    const tile = Math.floor((width - GAP * (columns - 1)) / columns);
    const rowOfItem = new Int32Array(this.items.length);
    let top = 0;
    let offset = 0;
    for (const section of this.sections) {
      this.rows.push({ kind: 'heading', top, height: HEADING_HEIGHT, label: section.heading });
      top += HEADING_HEIGHT;
      for (let i = 0; i < section.items.length; i += columns) {
        const start = offset + i;
        const end = offset + Math.min(i + columns, section.items.length);
        rowOfItem.fill(this.rows.length, start, end);
        this.rows.push({ kind: 'tiles', top, height: tile, start, end });
        top += tile + GAP;
      }
      offset += section.items.length;
    }
    this.rowOfItem = rowOfItem;
    this.canvas.style.height = `${top}px`;
    this.canvas.style.setProperty('--tile', `${tile}px`);
    this.canvas.style.setProperty('--columns', String(columns));
    this.canvas.style.setProperty('--gap', `${GAP}px`);
    return true;
  }

  scheduleRender() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render() {
    if (!this.rows.length) return;
    const scrollTop = this.scroller.scrollTop - this.canvas.offsetTop;
    const first = this.firstRowEndingBelow(scrollTop - OVERSCAN_PX);
    const bottom = scrollTop + this.scroller.clientHeight + OVERSCAN_PX;
    let last = first;
    while (last + 1 < this.rows.length && this.rows[last + 1].top < bottom) last += 1;

    const focused = document.activeElement;
    for (const [index, element] of this.rendered) {
      // A row holding keyboard focus stays, or focus would fall back to the page.
      if ((index < first || index > last) && !element.contains(focused)) {
        element.remove();
        this.rendered.delete(index);
      }
    }
    for (let index = first; index <= last; index += 1) {
      if (!this.rendered.has(index)) this.insertRow(index);
    }
  }

  firstRowEndingBelow(y) {
    let low = 0;
    let high = this.rows.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      const row = this.rows[middle];
      if (row.top + row.height > y) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  // Rows are kept in DOM order so Tab moves through the tiles in reading order.
  insertRow(index) {
    let before = null;
    let beforeIndex = Infinity;
    for (const [other, element] of this.rendered) {
      if (other > index && other < beforeIndex) {
        beforeIndex = other;
        before = element;
      }
    }
    const element = this.buildRow(this.rows[index]);
    this.canvas.insertBefore(element, before);
    this.rendered.set(index, element);
  }

  buildRow(row) {
    let element;
    if (row.kind === 'heading') {
      element = h('h2', { class: 'grid-row grid-heading' }, row.label);
    } else {
      element = h('div', { class: 'grid-row grid-tiles' });
      for (let index = row.start; index < row.end; index += 1) {
        const tile = this.renderTile(this.items[index], index);
        tile.dataset.index = String(index);
        element.append(tile);
      }
    }
    element.style.transform = `translateY(${row.top}px)`;
    element.style.height = `${row.height}px`;
    return element;
  }

  removeAllRows() {
    for (const element of this.rendered.values()) element.remove();
    this.rendered.clear();
  }

  onResize() {
    if (this.canvas.clientWidth === this.width) {
      this.scheduleRender(); // only the height changed: more or fewer rows fit
      return;
    }
    // The column count may change, so keep the first visible photo at the top and
    // keyboard focus on the same photo.
    const anchor = this.firstVisibleItem();
    const focused = this.focusedItem();
    this.removeAllRows();
    if (!this.layout()) return;
    if (anchor != null) this.scroller.scrollTop = this.itemTop(anchor);
    this.render();
    if (focused != null) this.focusItem(focused);
  }

  firstVisibleItem() {
    if (!this.rows.length || this.scroller.scrollTop === 0) return null;
    const scrollTop = this.scroller.scrollTop - this.canvas.offsetTop;
    for (let index = this.firstRowEndingBelow(scrollTop); index < this.rows.length; index += 1) {
      if (this.rows[index].kind === 'tiles') return this.rows[index].start;
    }
    return null;
  }

  focusedItem() {
    const tile = document.activeElement?.closest?.('[data-index]');
    return tile && this.canvas.contains(tile) ? Number(tile.dataset.index) : null;
  }

  // Where an item's row starts, in the scroller's coordinates.
  itemTop(index) {
    return this.rows[this.rowOfItem[index]].top + this.canvas.offsetTop;
  }

  scrollItemIntoView(index, block) {
    const row = this.rows[this.rowOfItem[index]];
    const top = this.itemTop(index);
    const { scrollTop, clientHeight } = this.scroller;
    if (top >= scrollTop && top + row.height <= scrollTop + clientHeight) return;
    if (block === 'center') this.scroller.scrollTop = top - (clientHeight - row.height) / 2;
    else if (top < scrollTop) this.scroller.scrollTop = top - GAP;
    else this.scroller.scrollTop = top + row.height - clientHeight + GAP;
  }

  // Arrow keys move between tiles like in a table. Tab works too, but reaching the
  // photo below with arrows is what most people try first.
  moveFocusWithArrows(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const index = this.focusedItem();
    if (index == null) return;
    let target = null;
    if (event.key === 'ArrowLeft') target = index - 1;
    else if (event.key === 'ArrowRight') target = index + 1;
    else if (event.key === 'ArrowUp') target = this.itemInNextTileRow(index, -1);
    else if (event.key === 'ArrowDown') target = this.itemInNextTileRow(index, 1);
    if (target == null || target < 0 || target >= this.items.length) return;
    event.preventDefault();
    this.focusItem(target);
  }

  // The item in the same column of the nearest tile row above (-1) or below (+1),
  // skipping date headings; the last item of that row if it is shorter.
  itemInNextTileRow(index, direction) {
    const rowIndex = this.rowOfItem[index];
    const column = index - this.rows[rowIndex].start;
    for (let r = rowIndex + direction; r >= 0 && r < this.rows.length; r += direction) {
      const row = this.rows[r];
      if (row.kind === 'tiles') return Math.min(row.start + column, row.end - 1);
    }
    return null;
  }
}
