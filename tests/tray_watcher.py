#!/usr/bin/env python3
"""A stand-in for a desktop's panel in the window tests: a StatusNotifierWatcher (the
D-Bus service GNOME's AppIndicator extension, KDE Plasma and others run) that accepts
tray icons, and reads each icon's menu the way a panel shows it (com.canonical.dbusmenu).

Usage: tray_watcher.py   (on the session bus in DBUS_SESSION_BUS_ADDRESS)

It prints "ready" once it owns org.kde.StatusNotifierWatcher, then "menu: A | B | C"
each time the labels of a registered icon's menu change, and "gone" when the icon goes.
"""

import sys

from gi.repository import Gio, GLib

WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_XML = """
<node>
  <interface name="org.kde.StatusNotifierWatcher">
    <method name="RegisterStatusNotifierItem"><arg type="s" direction="in"/></method>
    <method name="RegisterStatusNotifierHost"><arg type="s" direction="in"/></method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
    <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
    <signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
    <signal name="StatusNotifierHostRegistered"/>
  </interface>
</node>
"""

# Leave on our own if the test never ends us, so nothing is left behind.
GIVE_UP_AFTER_SECONDS = 180


def say(line):
    print(line, flush=True)


class Panel:
    def __init__(self, bus):
        self.bus = bus
        self.items = []  # (bus name, object path)
        self.last_menu = None

    def register(self, sender, service):
        # AppIndicator passes its object path; others pass a bus name.
        path = service if service.startswith("/") else "/StatusNotifierItem"
        name = sender if service.startswith("/") else service
        self.items.append((name, path))
        Gio.bus_watch_name_on_connection(
            self.bus, name, Gio.BusNameWatcherFlags.NONE, None, self.vanished
        )
        GLib.timeout_add(200, self.read_menus)

    def vanished(self, _bus, name):
        before = len(self.items)
        self.items = [item for item in self.items if item[0] != name]
        if len(self.items) < before:
            say("gone")

    def read_menus(self):
        for name, path in self.items:
            try:
                menu_path = self.bus.call_sync(
                    name, path, "org.freedesktop.DBus.Properties", "Get",
                    GLib.Variant("(ss)", ("org.kde.StatusNotifierItem", "Menu")),
                    None, Gio.DBusCallFlags.NONE, 2000, None,
                ).unpack()[0]
                layout = self.bus.call_sync(
                    name, menu_path, "com.canonical.dbusmenu", "GetLayout",
                    GLib.Variant("(iias)", (0, -1, [])),
                    None, Gio.DBusCallFlags.NONE, 2000, None,
                ).unpack()[1]
            except GLib.Error:
                continue
            labels = [
                child[1].get("label", "")
                for child in layout[2]
                if child[1].get("visible", True) and child[1].get("type") != "separator"
            ]
            menu = " | ".join(label.replace("_", "") for label in labels)
            if menu != self.last_menu:
                self.last_menu = menu
                say(f"menu: {menu}")
        return bool(self.items)


def main():
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    panel = Panel(bus)
    info = Gio.DBusNodeInfo.new_for_xml(WATCHER_XML).interfaces[0]

    def on_call(_bus, sender, _path, _iface, method, params, invocation):
        if method == "RegisterStatusNotifierItem":
            panel.register(sender, params.unpack()[0])
        invocation.return_value(None)

    def on_get(_bus, _sender, _path, _iface, prop):
        return {
            "RegisteredStatusNotifierItems": GLib.Variant("as", [p for _, p in panel.items]),
            "IsStatusNotifierHostRegistered": GLib.Variant("b", True),
            "ProtocolVersion": GLib.Variant("i", 0),
        }[prop]

    bus.register_object("/StatusNotifierWatcher", info, on_call, on_get, None)
    loop = GLib.MainLoop()
    Gio.bus_own_name_on_connection(
        bus, WATCHER, Gio.BusNameOwnerFlags.NONE,
        lambda *_: say("ready"),
        lambda *_: (say("failed: another watcher owns the name"), loop.quit()),
    )
    GLib.timeout_add_seconds(GIVE_UP_AFTER_SECONDS, loop.quit)
    loop.run()


if __name__ == "__main__":
    sys.exit(main())
