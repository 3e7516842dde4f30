//! The connection dialog: the node's address, an account and its password or an operator
//! token, saved profiles, and the decision about a node's certificate seen for the first time.

use druid::widget::{Button, Checkbox, Either, Flex, Label, TextBox};
use druid::{Color, Widget, WidgetExt};
use monitor_model::texts::I18n;

use super::masked::Masked;
use crate::delegate::{CONNECT, NEXT_PROFILE, TRUST};
use crate::state::AppState;

fn caption(s: String) -> impl Widget<AppState> {
    Label::new(s)
        .with_text_color(Color::rgb8(0x30, 0x30, 0x30))
        .align_left()
}

pub fn build(t: &I18n) -> impl Widget<AppState> + use<> {
    let token = t.text("monitor-dialog-token", &[]);
    let password = t.text("monitor-dialog-password", &[]);
    let secret_caption = Label::dynamic(move |d: &AppState, _| {
        if d.operator {
            token.clone()
        } else {
            password.clone()
        }
    })
    .with_text_color(Color::rgb8(0x30, 0x30, 0x30))
    .align_left();
    let trust = Either::new(
        |d: &AppState, _| d.model.borrow().pending_certificate.is_some(),
        Button::new(t.text("monitor-dialog-trust", &[]))
            .on_click(|ctx, _, _| ctx.submit_command(TRUST)),
        Flex::row(),
    );
    let column = Flex::column()
        .with_child(
            Label::new(t.text("monitor-dialog-title", &[]))
                .with_text_size(18.0)
                .with_text_color(Color::BLACK)
                .align_left(),
        )
        .with_spacer(12.0)
        .with_child(
            Button::new(t.text("monitor-dialog-next-profile", &[]))
                .on_click(|ctx, _, _| ctx.submit_command(NEXT_PROFILE))
                .align_left(),
        )
        .with_spacer(8.0)
        .with_child(caption(t.text("monitor-dialog-address", &[])))
        .with_child(TextBox::new().expand_width().lens(AppState::address))
        .with_spacer(8.0)
        .with_child(
            Checkbox::new(t.text("monitor-dialog-operator", &[]))
                .lens(AppState::operator)
                .align_left(),
        )
        .with_spacer(8.0)
        .with_child(caption(t.text("monitor-dialog-account", &[])))
        .with_child(TextBox::new().expand_width().lens(AppState::account))
        .with_spacer(8.0)
        .with_child(secret_caption)
        .with_child(TextBox::new().expand_width().lens(Masked))
        .with_spacer(8.0)
        .with_child(
            Checkbox::new(t.text("monitor-dialog-remember", &[]))
                .lens(AppState::remember)
                .align_left(),
        )
        .with_spacer(12.0)
        .with_child(
            Button::new(t.text("monitor-dialog-connect", &[]))
                .on_click(|ctx, _, _| ctx.submit_command(CONNECT))
                .align_left(),
        )
        .with_spacer(12.0)
        .with_child(
            Label::dynamic(|d: &AppState, _| d.message.clone())
                .with_line_break_mode(druid::widget::LineBreaking::WordWrap)
                .with_text_color(Color::rgb8(0xa0, 0x20, 0x20))
                .expand_width(),
        )
        .with_spacer(8.0)
        .with_child(trust.align_left())
        .fix_width(460.0)
        .padding(24.0);
    column.center()
}
