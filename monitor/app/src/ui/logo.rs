//! The deployment's mark: its short name on its primary colour, with an accent line.

use druid::piet::{FontFamily, FontWeight, Text, TextLayout, TextLayoutBuilder};
use druid::widget::prelude::*;
use druid::{Point, Rect, RoundedRectRadii};

use crate::state::AppState;

pub struct Logo;

impl Widget<AppState> for Logo {
    fn event(&mut self, _: &mut EventCtx, _: &Event, _: &mut AppState, _: &Env) {}
    fn lifecycle(&mut self, _: &mut LifeCycleCtx, _: &LifeCycle, _: &AppState, _: &Env) {}
    fn update(&mut self, _: &mut UpdateCtx, _: &AppState, _: &AppState, _: &Env) {}

    fn layout(&mut self, _: &mut LayoutCtx, bc: &BoxConstraints, _: &AppState, _: &Env) -> Size {
        bc.constrain(Size::new(28.0, 28.0))
    }

    fn paint(&mut self, ctx: &mut PaintCtx, data: &AppState, _: &Env) {
        let m = data.model.borrow();
        let size = ctx.size();
        let r = size.to_rounded_rect(RoundedRectRadii::from(5.0));
        ctx.fill(r, &m.branding.primary);
        ctx.fill(
            Rect::new(4.0, size.height - 6.0, size.width - 4.0, size.height - 4.0),
            &m.branding.accent,
        );
        let letter: String = m
            .branding
            .short_name
            .chars()
            .take(1)
            .collect::<String>()
            .to_uppercase();
        if let Ok(layout) = ctx
            .text()
            .new_text_layout(letter)
            .font(FontFamily::SANS_SERIF, 16.0)
            .default_attribute(FontWeight::BOLD)
            .text_color(m.branding.background)
            .build()
        {
            let s = layout.size();
            let at = Point::new(
                (size.width - s.width) / 2.0,
                (size.height - s.height) / 2.0 - 2.0,
            );
            ctx.draw_text(&layout, at);
        }
    }
}
