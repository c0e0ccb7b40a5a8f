#!/usr/bin/env python3
"""A stand-in for a file manager in the window test: a small GTK 3 window that offers
one file or folder as a `text/uri-list` drag, the way Nautilus and friends do.

Usage: drag_source.py PATH X Y   (the window is placed with its top-left at X, Y)

It prints "ready" once its window is on screen, then, when a drag from it ends,
"dropped" if the target accepted the drop or "failed: <reason>" if not, and exits.
The test moves the mouse with xdotool; this script only answers the drag protocol.
"""

import sys

import gi

gi.require_version("Gdk", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gdk, Gio, GLib, Gtk  # noqa: E402

# Leave on our own if the test never drags, so no window is left behind.
GIVE_UP_AFTER_SECONDS = 60


def main():
    path, x, y = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    uri = Gio.File.new_for_path(path).get_uri()
    outcome = {"failed": None}

    window = Gtk.Window(title="Pic-up test drag source")
    window.set_decorated(False)
    window.set_default_size(160, 100)
    window.move(x, y)

    # An EventBox, because a bare Label has no X window to receive button presses.
    source = Gtk.EventBox()
    source.add(Gtk.Label(label="Drag me"))
    window.add(source)
    source.drag_source_set(
        Gdk.ModifierType.BUTTON1_MASK,
        [Gtk.TargetEntry.new("text/uri-list", 0, 0)],
        Gdk.DragAction.COPY,
    )

    def on_data_get(_widget, _context, data, _info, _time):
        data.set_uris([uri])

    def on_failed(_widget, _context, result):
        outcome["failed"] = result.value_nick
        return False

    def on_end(_widget, _context):
        # drag-failed, when it comes, comes before drag-end.
        if outcome["failed"]:
            say(f"failed: {outcome['failed']}")
        else:
            say("dropped")
        Gtk.main_quit()

    def on_mapped(*_args):
        # Once the main loop is idle again the window has been drawn and takes clicks.
        GLib.idle_add(say, "ready")
        return False

    source.connect("drag-data-get", on_data_get)
    source.connect("drag-failed", on_failed)
    source.connect("drag-end", on_end)
    window.connect("map-event", on_mapped)
    window.connect("destroy", Gtk.main_quit)
    GLib.timeout_add_seconds(GIVE_UP_AFTER_SECONDS, Gtk.main_quit)
    window.show_all()
    Gtk.main()


def say(line):
    print(line, flush=True)
    return False


if __name__ == "__main__":
    main()
