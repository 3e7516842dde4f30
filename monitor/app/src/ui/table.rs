//! The job table: a header to sort by (click), one line per job as `monitor_model::rows`
//! words it, a progress bar, and a selection (click) for the detail pane.

use druid::widget::prelude::*;
use druid::{Color, Point, Rect};
use monitor_model::rows::{self, Row};
use monitor_model::{Column, Sort};

use super::draw;
use crate::state::AppState;

const HEADER: f64 = 26.0;
const LINE: f64 = 24.0;
const PAD: f64 = 6.0;

/// The columns shown, with their share of the width.
const COLUMNS: [(Column, f64); 10] = [
    (Column::Name, 2.0),
    (Column::Type, 0.9),
    (Column::Direction, 0.8),
    (Column::Size, 0.8),
    (Column::Progress, 1.4),
    (Column::State, 1.4),
    (Column::Rate, 0.9),
    (Column::Eta, 0.8),
    (Column::Path, 1.8),
    (Column::Attempts, 0.8),
];

/// The left edges of the columns for a table `width` wide, and the right edge last.
fn edges(width: f64) -> Vec<f64> {
    let total: f64 = COLUMNS.iter().map(|c| c.1).sum();
    let mut x = 0.0;
    let mut out = vec![0.0];
    for (_, share) in COLUMNS {
        x += width * share / total;
        out.push(x);
    }
    out
}

fn cell(row: &Row, column: Column) -> &str {
    match column {
        Column::Name => &row.name,
        Column::Type => &row.kind,
        Column::Direction => &row.direction,
        Column::Size => &row.size,
        Column::Progress => &row.progress_text,
        Column::State => &row.state,
        Column::Rate => &row.rate,
        Column::Eta => &row.eta,
        Column::Path => &row.path,
        Column::Attempts => &row.attempts,
        Column::Account => &row.account,
        Column::Started => "",
    }
}

fn title(t: &monitor_model::texts::I18n, column: Column, sort: Sort) -> String {
    let mut s = column.title(t);
    if sort.column == column {
        s.push_str(if sort.descending { " ▼" } else { " ▲" });
    }
    s
}

#[derive(Default)]
pub struct JobTableWidget {
    /// The ids of the lines as last painted, for clicks.
    ids: Vec<String>,
}

impl Widget<AppState> for JobTableWidget {
    fn event(&mut self, ctx: &mut EventCtx, event: &Event, data: &mut AppState, _env: &Env) {
        if let Event::MouseDown(m) = event {
            let width = ctx.size().width;
            if m.pos.y < HEADER {
                let e = edges(width);
                if let Some(i) = (0..COLUMNS.len()).find(|&i| m.pos.x >= e[i] && m.pos.x < e[i + 1])
                {
                    data.model.borrow_mut().sort_by(COLUMNS[i].0);
                    data.changed();
                }
            } else {
                let i = ((m.pos.y - HEADER) / LINE) as usize;
                if let Some(id) = self.ids.get(i) {
                    data.model.borrow_mut().selected = Some(id.clone());
                    data.changed();
                }
            }
            ctx.request_paint();
        }
    }

    fn lifecycle(&mut self, _: &mut LifeCycleCtx, _: &LifeCycle, _: &AppState, _: &Env) {}

    fn update(&mut self, ctx: &mut UpdateCtx, old: &AppState, data: &AppState, _env: &Env) {
        if !old.same(data) {
            ctx.request_paint();
        }
    }

    fn layout(&mut self, _: &mut LayoutCtx, bc: &BoxConstraints, _: &AppState, _: &Env) -> Size {
        draw::fill(bc, 300.0)
    }

    fn paint(&mut self, ctx: &mut PaintCtx, data: &AppState, _env: &Env) {
        let model = data.model.borrow();
        let t = &model.t;
        let size = ctx.size();
        let b = &model.branding;
        ctx.fill(size.to_rect(), &b.background);
        let e = edges(size.width);
        let header = Rect::new(0.0, 0.0, size.width, HEADER);
        ctx.fill(header, &b.primary);
        for (i, (column, _)) in COLUMNS.iter().enumerate() {
            let clip = Rect::new(e[i], 0.0, e[i + 1] - 2.0, HEADER);
            let s = title(t, *column, model.sort);
            draw::text(
                ctx,
                &s,
                Point::new(e[i] + PAD, 0.0),
                clip,
                &Color::WHITE,
                draw::FONT_SIZE,
            );
        }
        let now = model.table.now();
        let jobs = model.table.view(&model.filter, model.sort);
        self.ids.clear();
        let text_colour = Color::rgb8(0x20, 0x20, 0x20);
        for (n, job) in jobs.iter().enumerate() {
            let y = HEADER + n as f64 * LINE;
            if y > size.height {
                break;
            }
            let row = rows::row(t, job, now);
            let line = Rect::new(0.0, y, size.width, y + LINE);
            if model.selected.as_deref() == Some(row.id.as_str()) {
                ctx.fill(line, &b.accent.with_alpha(0.35));
            } else if n % 2 == 1 {
                ctx.fill(line, &Color::rgba8(0, 0, 0, 0x0c));
            }
            for (i, (column, _)) in COLUMNS.iter().enumerate() {
                let clip = Rect::new(e[i], y, e[i + 1] - 2.0, y + LINE);
                if *column == Column::Progress {
                    let bar = Rect::new(e[i] + PAD, y + 5.0, e[i + 1] - PAD, y + LINE - 5.0);
                    draw::bar(ctx, bar, row.progress, &b.primary);
                    let x = (bar.x0 + bar.x1) / 2.0 - 14.0;
                    // Readable on the bar's fill as well as on its background.
                    let ink = if row.progress > 0.55 {
                        Color::WHITE
                    } else {
                        text_colour
                    };
                    draw::text(ctx, &row.progress_text, Point::new(x, y), clip, &ink, 11.0);
                } else {
                    let s = cell(&row, *column);
                    draw::text(
                        ctx,
                        s,
                        Point::new(e[i] + PAD, y),
                        clip,
                        &text_colour,
                        draw::FONT_SIZE,
                    );
                }
            }
            self.ids.push(row.id);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_fill_the_width() {
        let e = super::edges(1000.0);
        assert_eq!(e.len(), super::COLUMNS.len() + 1);
        assert!((e[e.len() - 1] - 1000.0).abs() < 1e-6);
        assert!(e.windows(2).all(|w| w[1] > w[0]));
    }
}
