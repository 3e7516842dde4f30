pub async fn serve(_l: tokio::net::TcpListener, _c: std::sync::Arc<crate::ctx::NodeCtx>, _t: bool) {
}
