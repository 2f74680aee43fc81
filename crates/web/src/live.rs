//! Live updates: a Server-Sent Events stream per browser tab (`GET /events`) or API client
//! (`GET /api/v1/events`). Each committed change arrives as an event named `change` whose
//! data is `{kind, project_id, id, version}` — ids and versions only (`notification.created`
//! and `notification.read` go only to the streams of the person whose inbox changed); the client re-fetches
//! what it shows through the normal, authorised endpoints, so a stream never leaks data.
//! Only changes to projects the caller may see are sent (checked once a minute per
//! project), never a client user's about something internal, and never anyone's own
//! changes (to none of their streams: see `Event::may_tell`). Events come from this instance's bus, which Redis fans out across instances.
//! A stream ends when the server starts draining, and the browser reconnects elsewhere. It
//! also ends, within seconds and whichever instance serves it, when the session it was opened
//! with is signed out or expires, its API token is revoked or expires, or its user is
//! disabled (`formula_app::streams`); reconnecting then fails like any request without
//! valid credentials.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use formula_app::context::Caller;
use formula_app::events::Event;
use formula_app::streams::{Credential, StreamAccess};
use futures_util::Stream;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::auth::ApiCaller;
use crate::state::AppState;
use crate::ui::layout::Page;

/// How long a project's visibility is trusted before it is checked again.
const VISIBILITY_TTL: Duration = Duration::from_secs(60);
/// How soon a disconnected browser tries again.
const RETRY: Duration = Duration::from_secs(3);

struct Listener {
    state: AppState,
    caller: Caller,
    events: broadcast::Receiver<String>,
    drained: watch::Receiver<bool>,
    /// Ends the stream when its session or token is no longer in force.
    access: StreamAccess,
    visible: HashMap<Uuid, (bool, Instant)>,
    /// The first frame tells the client how soon to reconnect.
    greeted: bool,
}

impl Listener {
    async fn may_see(&mut self, project_id: Uuid) -> bool {
        if let Some((ok, at)) = self.visible.get(&project_id)
            && at.elapsed() < VISIBILITY_TTL
        {
            return *ok;
        }
        let ok = self
            .state
            .services
            .can_see_project(&self.caller, project_id)
            .await
            .unwrap_or(false);
        self.visible.insert(project_id, (ok, Instant::now()));
        ok
    }

    /// The next frame to send, or `None` when the stream should end.
    async fn next(&mut self) -> Option<SseEvent> {
        if !self.greeted {
            self.greeted = true;
            return Some(SseEvent::default().retry(RETRY).comment("live updates"));
        }
        loop {
            if *self.drained.borrow() || self.access.has_ended() {
                return None;
            }
            tokio::select! {
                _ = self.drained.changed() => return None,
                () = self.access.ended() => return None,
                received = self.events.recv() => match received {
                    Ok(json) => {
                        let Ok(event) = serde_json::from_str::<Event>(&json) else {
                            continue;
                        };
                        // A person's own notifications reach their streams only; their
                        // project was checked when they were stored.
                        if event.recipient.is_some() {
                            if event.may_tell(&self.caller.actor) {
                                return Some(
                                    SseEvent::default().event("change").data(event.wire_json()),
                                );
                            }
                            continue;
                        }
                        if event.may_tell(&self.caller.actor)
                            && self.may_see(event.project_id).await
                        {
                            return Some(
                                SseEvent::default().event("change").data(event.wire_json()),
                            );
                        }
                    }
                    // Too slow to keep up: the client should refresh everything it shows.
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        return Some(SseEvent::default().event("resync").data(missed.to_string()));
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            }
        }
    }
}

fn stream(state: AppState, caller: Caller, credential: Credential) -> Response {
    let listener = Listener {
        events: state.services.events.subscribe(),
        drained: state.runtime.drain_signal(),
        access: state.services.watch_stream(credential),
        state,
        caller,
        visible: HashMap::new(),
        greeted: false,
    };
    let frames = futures_util::stream::unfold(listener, |mut l| async move {
        l.next().await.map(|frame| (Ok::<_, Infallible>(frame), l))
    });
    let mut resp = sse(frames).into_response();
    // Proxies must pass each frame on at once (nginx honours this header).
    resp.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    resp
}

fn sse<S>(frames: S) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>>
where
    S: Stream<Item = Result<SseEvent, Infallible>> + Send + 'static,
{
    // A comment every 15 s keeps idle connections open through proxies and load balancers.
    Sse::new(frames).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// The browser's stream (signed in with the session cookie).
pub async fn page_stream(State(state): State<AppState>, page: Page) -> Response {
    stream(state, page.caller, Credential::Session(page.session_id))
}

/// Live updates
///
/// A `text/event-stream` of changes to projects the caller may see: events named `change`
/// with `{kind, project_id, id, version}` as data (e.g. `task.updated`), `resync` when the
/// client fell behind and should re-fetch what it shows, and a comment every 15 seconds.
/// Re-fetch the changed records through the normal endpoints. The stream ends within seconds
/// when the token or session it was opened with is revoked, signed out or expires, or its
/// user is disabled.
#[utoipa::path(
    get,
    path = "/events",
    tag = "meta",
    responses((status = 200, description = "The event stream", content_type = "text/event-stream"))
)]
pub async fn api_stream(State(state): State<AppState>, caller: ApiCaller) -> Response {
    let credential = match (caller.token_id, caller.session_id) {
        (Some(token), _) => Credential::Token(token),
        (None, Some(session)) => Credential::Session(session),
        (None, None) => {
            return crate::error::ApiError::unauthenticated("sign in, or send an API token")
                .into_response();
        }
    };
    stream(state, caller.caller, credential)
}
