//! The tray icon (a StatusNotifierItem on the session's D-Bus, as KDE, GNOME with its
//! AppIndicator extension, XFCE, LXQt and most panels show them): a click shows or hides the
//! window, its menu shows, hides or quits. Where the desktop has no tray the item waits for
//! one; without a session bus there is no icon, and `--show`/`--hide` still work.

use druid::{Color, ExtEventSink, Target};
use ksni::blocking::TrayMethods;
use ksni::menu::StandardItem;
use monitor_model::texts::I18n;

use crate::branding::Branding;
use crate::control::Request;
use crate::delegate::CONTROL;

/// Edge of the icon in pixels; panels scale it to their size.
const ICON: i32 = 32;

pub struct Tray {
    sink: ExtEventSink,
    name: String,
    show: String,
    hide: String,
    quit: String,
    icon: ksni::Icon,
}

impl Tray {
    fn send(&self, r: Request) {
        let _ = self.sink.submit_command(CONTROL, r, Target::Auto);
    }
}

fn argb(c: &Color) -> [u8; 4] {
    let (r, g, b, a) = c.as_rgba8();
    [a, r, g, b]
}

/// The branding's mark as the window draws it (ui/logo.rs), without the letter: a rounded
/// square in the primary colour with the accent line along its foot.
fn icon(b: &Branding) -> ksni::Icon {
    let (primary, accent) = (argb(&b.primary), argb(&b.accent));
    let clear = [0u8; 4];
    let n = ICON;
    let radius = 6;
    let mut data = Vec::with_capacity((n * n * 4) as usize);
    for y in 0..n {
        for x in 0..n {
            // Distance into the nearest corner's rounding, if the pixel is in a corner square.
            let cx = if x < radius {
                radius - x
            } else {
                (x + 1 - (n - radius)).max(0)
            };
            let cy = if y < radius {
                radius - y
            } else {
                (y + 1 - (n - radius)).max(0)
            };
            let outside = cx > 0 && cy > 0 && cx * cx + cy * cy > radius * radius;
            let px = if outside {
                clear
            } else if y >= n - 7 && y < n - 4 && x >= 4 && x < n - 4 {
                accent
            } else {
                primary
            };
            data.extend_from_slice(&px);
        }
    }
    ksni::Icon {
        width: n,
        height: n,
        data,
    }
}

impl ksni::Tray for Tray {
    fn id(&self) -> String {
        "wims-monitor".into()
    }

    fn title(&self) -> String {
        self.name.clone()
    }

    fn category(&self) -> ksni::Category {
        ksni::Category::Communications
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        vec![self.icon.clone()]
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        ksni::ToolTip {
            title: self.name.clone(),
            ..Default::default()
        }
    }

    fn activate(&mut self, _x: i32, _y: i32) {
        self.send(Request::Toggle);
    }

    fn menu(&self) -> Vec<ksni::MenuItem<Self>> {
        vec![
            StandardItem {
                label: self.show.clone(),
                activate: Box::new(|t: &mut Tray| t.send(Request::Show)),
                ..Default::default()
            }
            .into(),
            StandardItem {
                label: self.hide.clone(),
                activate: Box::new(|t: &mut Tray| t.send(Request::Hide)),
                ..Default::default()
            }
            .into(),
            ksni::MenuItem::Separator,
            StandardItem {
                label: self.quit.clone(),
                activate: Box::new(|t: &mut Tray| t.send(Request::Quit)),
                ..Default::default()
            }
            .into(),
        ]
    }

    fn watcher_offline(&self, reason: ksni::OfflineReason) -> bool {
        // A panel restarting or not there yet: the item stays and registers when it comes.
        tracing::debug!(?reason, "no tray on this desktop for now");
        true
    }
}

/// Puts the icon in the tray. Setting it up talks to the session bus, so it happens on a thread
/// of its own, which keeps the item for the life of the program; without a bus there is no
/// icon.
pub fn start(sink: ExtEventSink, t: &I18n, b: &Branding) {
    let tray = Tray {
        sink,
        name: t.text("monitor-window-title-idle", &[("product", &b.name)]),
        show: t.text("monitor-tray-show", &[]),
        hide: t.text("monitor-tray-hide", &[]),
        quit: t.text("monitor-tray-quit", &[]),
        icon: icon(b),
    };
    let spawned = std::thread::Builder::new()
        .name("tray-icon".into())
        .spawn(move || match tray.assume_sni_available(true).spawn() {
            Ok(_handle) => loop {
                std::thread::park();
            },
            Err(e) => tracing::info!(error = %e, "no tray icon"),
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no tray icon");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icon_is_the_marks_colours_with_round_corners() {
        let b = Branding::load();
        let i = icon(&b);
        assert_eq!(i.data.len(), (ICON * ICON * 4) as usize);
        let at = |x: i32, y: i32| {
            let o = ((y * ICON + x) * 4) as usize;
            [i.data[o], i.data[o + 1], i.data[o + 2], i.data[o + 3]]
        };
        assert_eq!(at(0, 0), [0, 0, 0, 0], "corner left clear");
        assert_eq!(at(ICON - 1, ICON - 1), [0, 0, 0, 0]);
        assert_eq!(at(ICON / 2, ICON / 2), argb(&b.primary));
        assert_eq!(at(ICON / 2, ICON - 5), argb(&b.accent));
    }
}
