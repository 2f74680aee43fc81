//! The 142-key hotel's questions: RFIs in every state on the Commercial tab. One to the
//! interior designer's studio by e-mail (mailed with its PDF, answered with a cost impact,
//! which offers a variation), one to the client's design manager (shared with the client and
//! answered by her), one to the coordinator past its date (overdue), one answered and closed.

use formula_app::context::Caller;
use formula_app::rfis::{NewRfi, RfiAnswerInput};
use formula_app::{AppError, Services};
use formula_domain::location::LocationKind;
use formula_domain::rfi::RfiMove;
use formula_web::rfi_documents::render_rfi;
use time::Duration;
use uuid::Uuid;

/// Who asks and who answers: the project manager asks; the coordinator on the team and the
/// client's user are asked.
pub struct Askers<'a> {
    pub pm: &'a Caller,
    pub coordinator: &'a Caller,
    pub client: &'a Caller,
}

fn rfi(subject: &str, question: &str) -> NewRfi {
    NewRfi {
        subject: subject.into(),
        question: question.into(),
        addressed_to_user_id: None,
        addressed_to_email: None,
        addressed_to_name: None,
        required_by: None,
        client_visible: None,
        drawing_ids: Vec::new(),
        scope_item_ids: Vec::new(),
        room_ids: Vec::new(),
    }
}

/// Raises and moves the RFIs; returns how many.
pub async fn seed(s: &Services, a: Askers<'_>, project_id: Uuid) -> Result<usize, AppError> {
    let today = s.today();
    let (tree, _) = s.project_locations(a.pm, project_id).await?;
    let lobby: Vec<Uuid> = tree
        .locations
        .iter()
        .filter(|l| l.kind == LocationKind::Room && l.code.ends_with("-LOBBY"))
        .take(1)
        .map(|l| l.id)
        .collect();
    let king_room: Vec<Uuid> = tree
        .locations
        .iter()
        .filter(|l| l.kind == LocationKind::Room && l.code.starts_with("OT-L02-"))
        .take(1)
        .map(|l| l.id)
        .collect();
    let (_, _, scope) = s.scope_overview(a.pm, project_id).await?;
    let wardrobe: Vec<Uuid> = scope
        .items
        .iter()
        .filter(|i| i.placement.room_type_code.as_deref() == Some("KING"))
        .take(1)
        .map(|i| i.id)
        .collect();

    // To the design studio by e-mail: answered (recorded by the team) with a cost impact.
    let mut studio = rfi(
        "Lobby reception counter: stone for the top",
        "The finishes schedule names Calacatta marble for the reception counter top; the \
         sample board shows a white quartz. Which one, and in what thickness and edge?",
    );
    studio.addressed_to_email = Some("ana.ruiz@studio-interiors.example".into());
    studio.addressed_to_name = Some("Ana Ruiz (Studio Interiors)".into());
    studio.required_by = Some(today + Duration::days(5));
    studio.room_ids = lobby.clone();
    let studio = s.raise_rfi(a.pm, project_id, studio, render_rfi).await?;
    s.answer_rfi(
        a.pm,
        studio.id,
        studio.version,
        RfiAnswerInput {
            answer: "Quartz as on the sample board, 30 mm with a mitred 60 mm apron edge. \
                     The marble is dropped from the schedule."
                .into(),
            cost_impact: true,
            time_impact: false,
            version: None,
        },
    )
    .await?;

    // To the client's design manager: shared with the client and answered by her.
    let mut finish = rfi(
        "Guest-room wardrobe: handle finish",
        "Brushed brass or satin black for the wardrobe pulls in the king rooms? The mock-up \
         room has both for you to compare.",
    );
    finish.addressed_to_user_id = Some(a.client.actor.user_id);
    finish.required_by = Some(today + Duration::days(10));
    finish.scope_item_ids = wardrobe.clone();
    finish.room_ids = king_room.clone();
    let finish = s.raise_rfi(a.pm, project_id, finish, render_rfi).await?;
    s.answer_rfi(
        a.client,
        finish.id,
        finish.version,
        RfiAnswerInput {
            answer: "Satin black, as in the mock-up room's left wardrobe.".into(),
            ..RfiAnswerInput::default()
        },
    )
    .await?;

    // To the coordinator, past its date: overdue, the ball in his court.
    let mut late = rfi(
        "Level 3 corridor: ceiling void depth",
        "Is there 250 mm above the corridor ceiling for the concealed panel fixings, or do we \
         switch to face fixings?",
    );
    late.addressed_to_user_id = Some(a.coordinator.actor.user_id);
    late.required_by = Some(today - Duration::days(3));
    s.raise_rfi(a.pm, project_id, late, render_rfi).await?;

    // Answered by the coordinator and closed by the project manager.
    let mut done = rfi(
        "Delivery access for the level 2 wardrobes",
        "Can the goods lift take the 2.4 m wardrobe carcasses upright?",
    );
    done.addressed_to_user_id = Some(a.coordinator.actor.user_id);
    done.required_by = Some(today - Duration::days(12));
    let done = s.raise_rfi(a.pm, project_id, done, render_rfi).await?;
    let answered = s
        .answer_rfi(
            a.coordinator,
            done.id,
            done.version,
            RfiAnswerInput {
                answer: "Yes: the lift car is 2.6 m high inside; book it with the site office."
                    .into(),
                ..RfiAnswerInput::default()
            },
        )
        .await?;
    s.move_rfi(a.pm, done.id, RfiMove::Close, answered.version)
        .await?;
    Ok(4)
}
