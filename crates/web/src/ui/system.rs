//! The System page: the server's own status for administrators (what
//! `/api/v1/system/status` answers, readable).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::error::PageError;
use crate::ops::{CheckStatus, SystemStatus};
use crate::state::AppState;
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::render;

#[derive(Template)]
#[template(path = "admin/system.html", whitespace = "minimize")]
struct SystemPage {
    layout: Layout,
    s: SystemStatus,
}

impl SystemPage {
    fn label(&self, status: &CheckStatus) -> &'static str {
        match status {
            CheckStatus::Ok => "ok",
            CheckStatus::Degraded => "degraded",
            CheckStatus::Fail => "fail",
            CheckStatus::Disabled => "disabled",
        }
    }

    /// Reuses the chip colours of the rest of the UI: green, amber, red, muted.
    fn chip(&self, status: &CheckStatus) -> &'static str {
        match status {
            CheckStatus::Ok => "chip-active",
            CheckStatus::Degraded => "chip-at_risk",
            CheckStatus::Fail => "chip-overdue",
            CheckStatus::Disabled => "chip-disabled",
        }
    }

    fn size(&self, bytes: &Option<u64>) -> String {
        const MIB: f64 = 1024.0 * 1024.0;
        match bytes {
            None => "unknown".to_owned(),
            Some(b) if (*b as f64) < 1024.0 * MIB => format!("{:.1} MiB", *b as f64 / MIB),
            Some(b) => format!("{:.1} GiB", *b as f64 / (1024.0 * MIB)),
        }
    }

    /// Pool connections in use (the pool's counters are read separately, so never below 0).
    fn in_use(&self) -> u32 {
        self.s.pool.size.saturating_sub(self.s.pool.idle)
    }

    fn uptime(&self) -> String {
        let s = self.s.readiness.uptime_seconds;
        format!(
            "{}d {}h {}m {}s",
            s / 86_400,
            s / 3600 % 24,
            s / 60 % 60,
            s % 60
        )
    }
}

pub async fn show(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    state.services.check_system_status(&page.caller)?;
    let view = SystemPage {
        layout: page.layout(Section::System, "System"),
        s: crate::ops::system_status(&state).await,
    };
    render(StatusCode::OK, &view)
}
