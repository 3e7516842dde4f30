//! Small painting helpers shared by the custom widgets.

use druid::piet::{FontFamily, Text, TextLayout, TextLayoutBuilder};
use druid::{BoxConstraints, Color, PaintCtx, Point, Rect, RenderContext, Size};

pub const FONT_SIZE: f64 = 13.0;

/// All the room a pane is given, or `height` where its height is not bounded.
pub fn fill(bc: &BoxConstraints, height: f64) -> Size {
    let max = bc.max();
    let h = if max.height.is_finite() {
        max.height
    } else {
        height
    };
    bc.constrain(Size::new(max.width, h))
}

/// `s` at `origin`, clipped to `clip`.
pub fn text(ctx: &mut PaintCtx, s: &str, origin: Point, clip: Rect, color: &Color, size: f64) {
    if s.is_empty() {
        return;
    }
    let layout = ctx
        .text()
        .new_text_layout(s.to_string())
        .font(FontFamily::SYSTEM_UI, size)
        .text_color(*color)
        .build();
    let Ok(layout) = layout else { return };
    // Vertically centred in the clip's height.
    let h = layout.size().height;
    let y = origin.y + ((clip.height() - h) / 2.0).max(0.0);
    ctx.with_save(|ctx| {
        ctx.clip(clip);
        ctx.draw_text(&layout, Point::new(origin.x, y));
    });
}

pub fn rgb(c: [u8; 3]) -> Color {
    Color::rgb8(c[0], c[1], c[2])
}

/// A bar filled to `fraction`.
pub fn bar(ctx: &mut PaintCtx, rect: Rect, fraction: f64, fill: &Color) {
    ctx.fill(rect, &Color::rgb8(0xe4, 0xe4, 0xe4));
    let w = rect.width() * fraction.clamp(0.0, 1.0);
    ctx.fill(Rect::new(rect.x0, rect.y0, rect.x0 + w, rect.y1), fill);
    ctx.stroke(rect, &Color::rgb8(0xa0, 0xa0, 0xa0), 1.0);
}
