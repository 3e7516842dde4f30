//! The detail pane of the selected job: facts, the piece map with its legend, the stage
//! timeline and the error, as `monitor_model::detail` and `piece_map` give them.

use druid::widget::prelude::*;
use druid::{Color, Point, Rect};
use monitor_api::StageState;
use monitor_model::{detail, piece_map};

use super::draw;
use crate::state::AppState;

const PAD: f64 = 10.0;
const LINE: f64 = 20.0;
/// One cell of the piece map, gap included.
const CELL: f64 = 6.0;
const MAX_CELLS: usize = 400;

#[derive(Default)]
pub struct DetailWidget;

/// The local time's offset east of UTC in seconds, for the times shown.
fn utc_offset() -> i32 {
    chrono::Local::now().offset().local_minus_utc()
}

impl Widget<AppState> for DetailWidget {
    fn event(&mut self, _: &mut EventCtx, _: &Event, _: &mut AppState, _: &Env) {}

    fn lifecycle(&mut self, _: &mut LifeCycleCtx, _: &LifeCycle, _: &AppState, _: &Env) {}

    fn update(&mut self, ctx: &mut UpdateCtx, old: &AppState, data: &AppState, _env: &Env) {
        if !old.same(data) {
            ctx.request_paint();
        }
    }

    fn layout(&mut self, _: &mut LayoutCtx, bc: &BoxConstraints, _: &AppState, _: &Env) -> Size {
        draw::fill(bc, 260.0)
    }

    fn paint(&mut self, ctx: &mut PaintCtx, data: &AppState, _env: &Env) {
        let model = data.model.borrow();
        let t = &model.t;
        let size = ctx.size();
        let full = size.to_rect();
        ctx.fill(full, &Color::rgb8(0xf6, 0xf7, 0xf9));
        let ink = Color::rgb8(0x20, 0x20, 0x20);
        let dim = Color::rgb8(0x60, 0x60, 0x60);
        // Until a job is chosen, the first one the table shows.
        let job = match model.selected.as_deref() {
            Some(id) => model.table.job(id),
            None => model.table.view(&model.filter, model.sort).first().copied(),
        };
        let Some(job) = job else {
            let s = t.text("monitor-detail-none", &[]);
            let clip = Rect::new(PAD, PAD, size.width - PAD, PAD + LINE);
            draw::text(ctx, &s, Point::new(PAD, PAD), clip, &dim, draw::FONT_SIZE);
            return;
        };
        let d = detail::detail(t, job, model.table.now(), utc_offset());
        let w = size.width - 2.0 * PAD;
        let mut y = PAD;
        let line = |y: f64| Rect::new(PAD, y, PAD + w, y + LINE);
        draw::text(
            ctx,
            &d.title,
            Point::new(PAD, y),
            line(y),
            &model.branding.primary,
            15.0,
        );
        y += LINE + 4.0;

        // Facts, three to a line.
        let col = w / 3.0;
        for (i, f) in d.facts.iter().enumerate() {
            let x = PAD + (i % 3) as f64 * col;
            let clip = Rect::new(x, y, x + col - 8.0, y + LINE);
            let s = format!("{}: {}", f.label, f.value);
            draw::text(ctx, &s, Point::new(x, y), clip, &ink, 12.0);
            if i % 3 == 2 || i + 1 == d.facts.len() {
                y += LINE;
            }
        }
        y += 6.0;

        // The piece map and its legend.
        if let Some(map) = &job.chunks {
            let heading = t.text("monitor-detail-pieces", &[]);
            draw::text(ctx, &heading, Point::new(PAD, y), line(y), &dim, 12.0);
            y += LINE;
            let n = ((w / CELL) as usize).clamp(1, MAX_CELLS);
            let cells = piece_map::cells(map, n);
            let cw = w / n as f64;
            for (i, place) in cells.iter().enumerate() {
                let x = PAD + i as f64 * cw;
                let r = Rect::new(x, y, x + (cw - 1.0).max(1.0), y + 16.0);
                ctx.fill(r, &draw::rgb(piece_map::Swatch::of(*place).rgb()));
            }
            y += 22.0;
            let mut x = PAD;
            for entry in &d.legend {
                let s = format!(
                    "{} ({})",
                    entry.label,
                    t.text(
                        "monitor-chunks-count",
                        &[("count", &entry.chunks.to_string())]
                    )
                );
                ctx.fill(
                    Rect::new(x, y + 5.0, x + 10.0, y + 15.0),
                    &draw::rgb(entry.swatch.rgb()),
                );
                let width = 30.0 + 7.0 * s.chars().count() as f64;
                let clip = Rect::new(x + 14.0, y, (x + width).min(PAD + w), y + LINE);
                draw::text(ctx, &s, Point::new(x + 14.0, y), clip, &ink, 12.0);
                x += width;
                if x > PAD + w - 120.0 {
                    x = PAD;
                    y += LINE;
                }
            }
            y += LINE + 4.0;
        }

        // The stage timeline.
        let heading = t.text("monitor-detail-stages", &[]);
        draw::text(ctx, &heading, Point::new(PAD, y), line(y), &dim, 12.0);
        y += LINE;
        let cols = [0.0, 0.34, 0.48, 0.68, 0.86, 1.0].map(|f| PAD + f * w);
        for s in &d.timeline {
            if y + LINE > size.height {
                break;
            }
            let colour = match s.state {
                StageState::Failed => Color::rgb8(0xc0, 0x39, 0x2b),
                StageState::Active => model.branding.primary,
                _ => ink,
            };
            let cell = |i: usize| Rect::new(cols[i], y, cols[i + 1] - 6.0, y + LINE);
            draw::text(
                ctx,
                &s.label,
                Point::new(cols[0], y),
                cell(0),
                &colour,
                12.0,
            );
            draw::text(
                ctx,
                &s.state_text,
                Point::new(cols[1], y),
                cell(1),
                &colour,
                12.0,
            );
            if let Some(p) = s.progress {
                let r = Rect::new(cols[2], y + 5.0, cols[3] - 8.0, y + LINE - 5.0);
                draw::bar(ctx, r, p, &model.branding.primary);
            }
            draw::text(ctx, &s.bytes, Point::new(cols[3], y), cell(3), &ink, 12.0);
            draw::text(ctx, &s.took, Point::new(cols[4], y), cell(4), &ink, 12.0);
            y += LINE;
        }
        if let Some(err) = &d.error {
            let clip = Rect::new(PAD, y + 4.0, PAD + w, y + 4.0 + LINE);
            draw::text(
                ctx,
                err,
                Point::new(PAD, y + 4.0),
                clip,
                &Color::rgb8(0xc0, 0x39, 0x2b),
                13.0,
            );
        }
    }
}
