//! The window: the connection dialog, or the filter bar, the job table, the detail pane and
//! the status bar. Every text is looked up in Fluent when the window is built or painted.

pub mod detail;
pub mod dialog;
pub mod draw;
pub mod logo;
pub mod masked;
pub mod table;

use std::time::{Duration, Instant};

use druid::widget::{Button, Controller, Either, Flex, Label, Split};
use druid::{Color, Env, Event, EventCtx, TimerToken, Widget, WidgetExt, theme};
use monitor_api::Direction;
use monitor_model::{status_bar, texts::I18n, totals};

use crate::state::{AppState, Model};

/// Redraws once a second, so that countdowns ("reconnecting in 4 s") and the table's times
/// move without an event.
struct Ticker {
    timer: TimerToken,
}

const TICK: Duration = Duration::from_secs(1);

impl<W: Widget<AppState>> Controller<AppState, W> for Ticker {
    fn event(
        &mut self,
        child: &mut W,
        ctx: &mut EventCtx,
        event: &Event,
        data: &mut AppState,
        env: &Env,
    ) {
        match event {
            Event::WindowConnected => self.timer = ctx.request_timer(TICK),
            Event::Timer(t) if *t == self.timer => {
                data.changed();
                self.timer = ctx.request_timer(TICK);
            }
            _ => {}
        }
        child.event(ctx, event, data, env)
    }
}

/// A light look in the branding's colours (druid's own theme is dark, which the table and the
/// detail pane, drawn on the branding's background, would not match).
pub fn light_theme(env: &mut Env, primary: Color) {
    let ink = Color::rgb8(0x20, 0x20, 0x20);
    env.set(theme::WINDOW_BACKGROUND_COLOR, Color::WHITE);
    env.set(theme::TEXT_COLOR, ink);
    env.set(theme::CURSOR_COLOR, ink);
    env.set(theme::PLACEHOLDER_COLOR, Color::rgb8(0x80, 0x80, 0x80));
    env.set(theme::BACKGROUND_LIGHT, Color::WHITE);
    env.set(theme::BACKGROUND_DARK, Color::rgb8(0xf0, 0xf0, 0xf0));
    env.set(theme::BORDER_DARK, Color::rgb8(0x9a, 0xa0, 0xa8));
    env.set(theme::BORDER_LIGHT, Color::rgb8(0xc8, 0xcc, 0xd2));
    env.set(theme::BUTTON_LIGHT, Color::rgb8(0xf4, 0xf6, 0xf8));
    env.set(theme::BUTTON_DARK, Color::rgb8(0xdc, 0xe1, 0xe7));
    env.set(theme::DISABLED_BUTTON_LIGHT, Color::rgb8(0xf4, 0xf6, 0xf8));
    env.set(theme::DISABLED_BUTTON_DARK, Color::rgb8(0xe4, 0xe4, 0xe4));
    env.set(theme::PRIMARY_LIGHT, primary);
    env.set(theme::PRIMARY_DARK, primary);
    env.set(
        theme::SELECTED_TEXT_BACKGROUND_COLOR,
        Color::rgb8(0xb8, 0xd0, 0xea),
    );
}

pub fn root(t: &I18n) -> impl Widget<AppState> + use<> {
    Either::new(|d: &AppState, _| d.dialog, dialog::build(t), main_view())
        .controller(Ticker {
            timer: TimerToken::INVALID,
        })
        .background(Color::WHITE)
}

fn filter_label(m: &Model) -> [String; 4] {
    let t = &m.t;
    let account = m
        .filter
        .account
        .clone()
        .unwrap_or_else(|| t.text("monitor-filter-all-accounts", &[]));
    let direction = match m.filter.direction {
        None => t.text("monitor-filter-all-directions", &[]),
        Some(Direction::Up) => t.text("monitor-filter-up", &[]),
        Some(Direction::Down) => t.text("monitor-filter-down", &[]),
    };
    let choices = monitor_model::filter::choices(t, &[]);
    let state = m
        .filter
        .states
        .iter()
        .next()
        .and_then(|s| choices.states.iter().find(|c| c.0 == *s))
        .map(|c| c.1.clone())
        .unwrap_or_else(|| t.text("monitor-filter-all-states", &[]));
    let box_ = if m.filter.hide_finished { "☑" } else { "☐" };
    let hide = format!("{box_} {}", choices.hide_finished);
    [account, direction, state, hide]
}

fn filter_button(i: usize, on: fn(&mut Model)) -> impl Widget<AppState> {
    Button::dynamic(move |d: &AppState, _| filter_label(&d.model.borrow())[i].clone()).on_click(
        move |_, d: &mut AppState, _| {
            on(&mut d.model.borrow_mut());
            d.changed();
        },
    )
}

fn filter_bar() -> impl Widget<AppState> {
    Flex::row()
        .with_child(logo::Logo.fix_size(28.0, 28.0))
        .with_spacer(8.0)
        .with_child(
            Label::dynamic(|d: &AppState, _| {
                let m = d.model.borrow();
                m.t.text(
                    "monitor-window-title-idle",
                    &[("product", &m.branding.name)],
                )
            })
            .with_text_size(16.0)
            .with_text_color(Color::BLACK),
        )
        .with_flex_spacer(1.0)
        .with_child(filter_button(0, Model::cycle_account))
        .with_spacer(4.0)
        .with_child(filter_button(1, Model::cycle_direction))
        .with_spacer(4.0)
        .with_child(filter_button(2, Model::cycle_state))
        .with_spacer(4.0)
        .with_child(filter_button(3, |m: &mut Model| {
            m.filter.hide_finished = !m.filter.hide_finished
        }))
        .padding(6.0)
}

/// The status bar's parts in one line, the connection first (it says when it reconnects).
pub fn status_line(m: &Model) -> String {
    let conn = m.conn.as_ref().map(|c| c.conn.clone()).unwrap_or_default();
    let now = m.conn.as_ref().map_or(Duration::ZERO, |c| {
        Instant::now().saturating_duration_since(c.origin)
    });
    let jobs = m.table.jobs();
    let s = status_bar(&m.t, m.table.status(), &totals(jobs), &conn, now);
    let mut parts = vec![s.connection, s.node, s.service, s.clock];
    parts.extend(s.update);
    parts.push(s.rates);
    parts.push(s.counts);
    parts.join("   ·   ")
}

fn main_view() -> impl Widget<AppState> {
    let status = Label::dynamic(|d: &AppState, _| status_line(&d.model.borrow()))
        .with_text_size(12.0)
        .with_text_color(Color::rgb8(0x20, 0x20, 0x20))
        .padding((8.0, 4.0))
        .expand_width()
        .background(Color::rgb8(0xe8, 0xea, 0xee));
    Flex::column()
        .with_child(filter_bar())
        .with_flex_child(
            Split::rows(table::JobTableWidget::default(), detail::DetailWidget)
                .split_point(0.5)
                .draggable(true)
                .bar_size(4.0),
            1.0,
        )
        .with_child(status)
}
