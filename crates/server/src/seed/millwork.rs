//! The demo's shop drawings and material specifications on the first project, in every
//! state a real job shows at once: approved after a resubmission, waiting for review,
//! drafts, materials ordered, delivered, late and still in approval — so some scope items
//! are ready for production and some are blocked; and the team's conversations about them.

use formula_app::comments::NewComment;
use formula_app::context::Caller;
use formula_app::drawings::{NewDrawing, ReviewInput, Upload};
use formula_app::goods_receipts::{ReceiptInput, ReceiptLineInput};
use formula_app::purchase_orders::NewPurchaseOrder;
use formula_app::specs::{ProcurementInput, SpecInput, SpecReviewInput};
use formula_app::{AppError, Services};
use formula_domain::attachment::{OwnerKind, Purpose};
use formula_domain::comment::{RecordKind, Visibility};
use formula_domain::drawing::{Decision, DrawingKind};
use formula_domain::scope::{Quantity, ScopeItem};
use formula_domain::spec::{Procurement, SpecCategory, SpecDecision};
use sha2::{Digest, Sha256};
use time::Duration;
use uuid::Uuid;

/// What the demo creates: (drawings, specifications).
pub struct Created(pub usize, pub usize);

/// A small, complete PDF standing in for a drawing sheet.
fn sheet(number: &str, rev: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
         2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n\
         % Formula PM demo shop drawing {number} revision {rev}\n\
         trailer << /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

/// A 1×1 PNG standing in for a photo of a material sample.
const SAMPLE_PHOTO: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x0d\x49\x44\x41\x54\x78\xda\x63\x64\xf8\xcf\x50\x0f\x00\x03\x86\x01\x80\x5a\x34\x7d\x6b\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

/// Writes `bytes` to the spool as the upload `name`, the way the web layer receives one.
async fn spooled(s: &Services, name: &str, bytes: &[u8]) -> Result<Upload, AppError> {
    let path = s
        .blobs
        .spool_dir()
        .join(format!("seed-{}", formula_domain::new_id()));
    tokio::fs::write(&path, bytes)
        .await
        .map_err(|e| AppError::Internal(format!("write the demo file: {e}")))?;
    Ok(Upload {
        name: name.to_owned(),
        path,
        size: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(bytes)),
        head: bytes.to_vec(),
        tail: bytes.to_vec(),
    })
}

async fn upload(
    s: &Services,
    by: &Caller,
    drawing: Uuid,
    number: &str,
    rev: &str,
    notes: &str,
) -> Result<Uuid, AppError> {
    let upload = spooled(s, &format!("{number} rev {rev}.pdf"), &sheet(number, rev)).await?;
    let result = s
        .add_revision(by, drawing, Some(notes.to_owned()), &upload)
        .await;
    // Stored files were moved away; a failure leaves the spool clean too.
    let _ = tokio::fs::remove_file(&upload.path).await;
    Ok(result?.id)
}

/// Attaches a demo file to something.
async fn attach(
    s: &Services,
    by: &Caller,
    owner: (OwnerKind, Uuid),
    name: &str,
    bytes: &[u8],
    purpose: Purpose,
    caption: &str,
) -> Result<(), AppError> {
    let upload = spooled(s, name, bytes).await?;
    let result = s
        .add_attachment(
            by,
            owner.0,
            owner.1,
            Some(purpose),
            Some(caption.to_owned()),
            &upload,
        )
        .await;
    let _ = tokio::fs::remove_file(&upload.path).await;
    result.map(|_| ())
}

async fn decide(
    s: &Services,
    pm: &Caller,
    designer: &Caller,
    rev: Uuid,
    decision: Option<(Decision, &str)>,
) -> Result<(), AppError> {
    s.submit_revision(designer, rev, 1).await?;
    if let Some((decision, comments)) = decision {
        let input = ReviewInput {
            decision,
            comments: (!comments.is_empty()).then(|| comments.to_owned()),
            version: None,
        };
        s.review_revision(pm, rev, 2, input).await?;
    }
    Ok(())
}

fn item<'a>(items: &'a [ScopeItem], name_starts: &str) -> Result<&'a ScopeItem, AppError> {
    items
        .iter()
        .find(|i| i.name.starts_with(name_starts))
        .ok_or_else(|| AppError::Internal(format!("demo scope has no item {name_starts:?}")))
}

/// Adds the drawings and specifications. `pm` reviews and approves, `designer` draws and
/// specifies, `coordinator` orders.
pub async fn seed(
    s: &Services,
    pm: &Caller,
    designer: &Caller,
    coordinator: &Caller,
    project_id: Uuid,
    scale: i64,
) -> Result<Created, AppError> {
    let (_, _, overview) = s.scope_overview(pm, project_id).await?;
    let items = overview.items;
    let desk = item(&items, "Reception desk")?.id;
    let concierge = item(&items, "Concierge desk")?.id;
    let panelling = item(&items, "Lobby wall panelling")?.id;
    let bar = item(&items, "Lounge bar counter")?.id;
    let luggage = item(&items, "Luggage room shelving")?.id;

    let drawing = |number: &str, title: &str, kind, items: Vec<Uuid>| NewDrawing {
        number: number.to_owned(),
        title: title.to_owned(),
        kind: Some(kind),
        area: Some("Lobby".into()),
        scheme: None,
        scope_item_ids: items,
    };
    let plans = [
        drawing(
            "SD-101",
            "Reception desk: plan, elevations and sections",
            DrawingKind::Assembly,
            vec![desk],
        ),
        drawing(
            "SD-102",
            "Concierge desk elevation",
            DrawingKind::Elevation,
            vec![concierge],
        ),
        drawing(
            "SD-103",
            "Lobby wall panelling: setting-out and joints",
            DrawingKind::Elevation,
            vec![panelling],
        ),
        drawing(
            "SD-104",
            "Lounge bar counter details",
            DrawingKind::Detail,
            vec![bar],
        ),
        drawing(
            "SD-105",
            "Luggage room shelving",
            DrawingKind::Plan,
            vec![luggage],
        ),
    ];
    let mut ids = Vec::new();
    for p in plans {
        ids.push((
            p.number.clone(),
            s.create_drawing(designer, project_id, p).await?.id,
        ));
    }
    // SD-101: A sent back, B approved.
    let a = upload(s, designer, ids[0].1, &ids[0].0, "A", "First issue").await?;
    decide(
        s,
        pm,
        designer,
        a,
        Some((
            Decision::ReviseAndResubmit,
            "Raise the onyx light box 50 mm; show the cable route to the desk power.",
        )),
    )
    .await?;
    let b = upload(
        s,
        designer,
        ids[0].1,
        &ids[0].0,
        "B",
        "Light box raised, cable route added",
    )
    .await?;
    decide(s, pm, designer, b, Some((Decision::Approved, ""))).await?;
    // SD-102: waiting for review.
    let a = upload(s, designer, ids[1].1, &ids[1].0, "A", "For review").await?;
    decide(s, pm, designer, a, None).await?;
    // SD-103: approved as noted.
    let a = upload(s, designer, ids[2].1, &ids[2].0, "A", "For review").await?;
    decide(
        s,
        pm,
        designer,
        a,
        Some((
            Decision::ApprovedAsNoted,
            "Check the shadow gap at the lift lobby return on site.",
        )),
    )
    .await?;
    // SD-104: a draft not yet submitted.
    upload(s, designer, ids[3].1, &ids[3].0, "A", "Work in progress").await?;
    // SD-105: approved.
    let a = upload(s, designer, ids[4].1, &ids[4].0, "A", "For review").await?;
    decide(s, pm, designer, a, Some((Decision::Approved, ""))).await?;

    let today = s.today();
    // The demo's materials come from the directory's veneer and board supplier.
    let atlas = s
        .active_suppliers(pm)
        .await?
        .into_iter()
        .find(|x| x.name == "Atlas Materials Trading LLC")
        .map(|x| x.id);
    let spec = |code: &str,
                description: &str,
                category,
                qty: &str,
                unit: &str,
                cost: i64,
                lead: i32,
                needed_in: i64,
                items: Vec<Uuid>| SpecInput {
        code: Some(code.to_owned()),
        description: Some(description.to_owned()),
        category: Some(category),
        quantity: Quantity::parse(qty).ok(),
        unit: Some(unit.to_owned()),
        unit_cost_minor: Some(Some(cost * scale)),
        supplier_id: Some(atlas),
        lead_time_days: Some(Some(lead)),
        needed_on: Some(Some(today + Duration::days(needed_in))),
        location: Some(Some("Lobby".into())),
        scope_item_ids: Some(items),
        ..SpecInput::default()
    };
    let specs = [
        spec(
            "V-01",
            "Walnut veneer, book-matched, crown cut",
            SpecCategory::Veneer,
            "240",
            "m²",
            48,
            28,
            20,
            vec![desk, concierge, panelling],
        ),
        spec(
            "ST-01",
            "Back-lit white onyx panels, 20 mm",
            SpecCategory::Stone,
            "6.5",
            "m²",
            1_150,
            35,
            30,
            vec![desk],
        ),
        spec(
            "SS-01",
            "Solid surface bar top, 12 mm, warm white",
            SpecCategory::SolidSurface,
            "14.2",
            "lm",
            310,
            21,
            10,
            vec![bar],
        ),
        spec(
            "L-01",
            "HPL laminate on birch ply, light grey",
            SpecCategory::Laminate,
            "60",
            "m²",
            22,
            14,
            -30,
            vec![luggage],
        ),
        spec(
            "HW-01",
            "Soft-close hinges and push latches",
            SpecCategory::Hardware,
            "48",
            "set",
            18,
            10,
            40,
            vec![concierge],
        ),
        spec(
            "F-01",
            "Matt lacquer, 10 % sheen",
            SpecCategory::Finish,
            "40",
            "kg",
            35,
            7,
            45,
            vec![],
        ),
    ];
    let mut made = Vec::new();
    for input in specs {
        made.push(s.create_spec(designer, project_id, input).await?);
    }
    let approve = |id: Uuid| async move {
        s.submit_spec(designer, id, 1).await?;
        let ok = SpecReviewInput {
            decision: SpecDecision::Approved,
            comments: None,
            version: None,
        };
        s.review_spec(pm, id, 2, ok).await
    };
    // Ordered through purchase orders, as in the app: raised from the specifications,
    // approved and sent (which marks them ordered); deliveries received against them.
    let order = |ids: Vec<Uuid>| async move {
        let po = s
            .create_purchase_order(
                pm,
                project_id,
                NewPurchaseOrder {
                    spec_ids: ids,
                    delivery_address: Some("Site entrance B, loading bay 2".into()),
                    ..NewPurchaseOrder::default()
                },
            )
            .await?;
        let po = s
            .approve_purchase_order(pm, po.order.id, po.order.version)
            .await?;
        s.send_purchase_order(
            pm,
            po.order.id,
            po.order.version,
            None,
            formula_web::po_documents::render_po,
        )
        .await?;
        Ok::<Uuid, AppError>(po.order.id)
    };
    // Receives `quantity` of the line ordering `spec` (all that is left with `None`).
    let receive = |po: Uuid, spec: Uuid, quantity: Option<Quantity>, note: &'static str| async move {
        let r = s.receiving(coordinator, po).await?;
        let lines = r
            .order
            .lines
            .iter()
            .filter(|l| l.spec_id == Some(spec))
            .map(|l| ReceiptLineInput {
                line_id: l.id,
                quantity: quantity.unwrap_or(l.remaining),
                accept_over_delivery: false,
                over_delivery_reason: None,
            })
            .collect();
        let input = ReceiptInput {
            received_on: Some(today),
            delivery_note: Some(note.into()),
            received_by_name: Some("Site store".into()),
            note: None,
            lines,
        };
        s.record_receipt(coordinator, po, input, &[], None).await
    };
    // V-01 and ST-01 approved and ordered on one order; half of ST-01 delivered.
    let v = approve(made[0].id).await?;
    let st = approve(made[1].id).await?;
    let po = order(vec![v.id, st.id]).await?;
    receive(po, st.id, Quantity::parse("3").ok(), "DN-3907").await?;
    // SS-01 approved but not ordered, and past its order-by date: late.
    approve(made[2].id).await?;
    // L-01 delivered and installed.
    let l = approve(made[3].id).await?;
    let po = order(vec![l.id]).await?;
    receive(po, l.id, None, "DN-3851").await?;
    let l = s.get_spec(coordinator, l.id).await?.0.spec;
    let installed = ProcurementInput {
        status: Procurement::Installed,
        version: None,
    };
    s.procure_spec(coordinator, l.id, l.version, installed)
        .await?;
    // HW-01 waiting for approval; F-01 still a draft.
    s.submit_spec(designer, made[4].id, 1).await?;
    // A sample photo on the veneer, and the site survey on the project.
    attach(
        s,
        designer,
        (OwnerKind::Spec, made[0].id),
        "V-01 walnut sample.png",
        SAMPLE_PHOTO,
        Purpose::Sample,
        "Book-matched walnut, approved sample",
    )
    .await?;
    attach(
        s,
        pm,
        (OwnerKind::Project, project_id),
        "Site survey.pdf",
        &sheet("SURVEY", "1"),
        Purpose::Document,
        "Lobby measured survey",
    )
    .await?;
    discuss(s, pm, designer, coordinator, project_id, &ids).await?;
    Ok(Created(ids.len(), made.len()))
}

/// The handle to @mention `who` on a record, as the autocomplete offers it.
async fn handle(
    s: &Services,
    writer: &Caller,
    kind: RecordKind,
    id: Uuid,
    who: &Caller,
) -> Result<String, AppError> {
    s.mentionable(writer, kind, id, "")
        .await?
        .into_iter()
        .find(|p| p.name == who.actor.name)
        .map(|p| p.handle)
        .ok_or(AppError::NotFound("person to mention"))
}

/// Conversations on the lobby's drawings and the project: questions, answers, mentions and
/// a note shared with the client.
async fn discuss(
    s: &Services,
    pm: &Caller,
    designer: &Caller,
    coordinator: &Caller,
    project_id: Uuid,
    drawings: &[(String, Uuid)],
) -> Result<(), AppError> {
    let say = |who: &Caller, kind: RecordKind, id: Uuid, body: String, shared: bool| {
        let who = who.clone();
        async move {
            s.add_comment(
                &who,
                kind,
                id,
                NewComment {
                    body,
                    visibility: Some(if shared {
                        Visibility::Client
                    } else {
                        Visibility::Internal
                    }),
                    id: None,
                },
                &[],
            )
            .await
        }
    };
    let (sd101, sd102) = (drawings[0].1, drawings[1].1);
    let to_designer = handle(s, pm, RecordKind::Drawing, sd101, designer).await?;
    let to_pm = handle(s, designer, RecordKind::Drawing, sd101, pm).await?;
    let to_coordinator = handle(s, designer, RecordKind::Drawing, sd101, coordinator).await?;
    say(
        pm,
        RecordKind::Drawing,
        sd101,
        format!(
            "@{to_designer} rev B looks right. Before we release, confirm the onyx supplier can              hold the **50 mm** raise: the light box sits tight under the counter."
        ),
        false,
    )
    .await?;
    say(
        designer,
        RecordKind::Drawing,
        sd101,
        format!(
            "Checked with Atlas: the sheet is 20 mm, so the raise fits.\n\n@{to_coordinator} can you book the veneer sample (V-01) for Thursday?"
        ),
        false,
    )
    .await?;
    say(
        coordinator,
        RecordKind::Drawing,
        sd101,
        format!("Booked for Thursday 10:00. @{to_pm} I'll bring the edge samples too."),
        false,
    )
    .await?;
    // From site, with a photo of the recess and the supplier's sheet.
    let files = [
        spooled(s, "Light-box recess.png", SAMPLE_PHOTO).await?,
        spooled(s, "Atlas onyx data sheet.pdf", &sheet("ATLAS ONYX", "1")).await?,
    ];
    let posted = s
        .add_comment(
            coordinator,
            RecordKind::Drawing,
            sd101,
            NewComment {
                body: "Measured the recess on site today: **22 mm** clear. Photo and Atlas's sheet attached."
                    .to_owned(),
                visibility: Some(Visibility::Internal),
                id: None,
            },
            &files,
        )
        .await;
    for f in &files {
        let _ = tokio::fs::remove_file(&f.path).await;
    }
    posted?;
    say(
        designer,
        RecordKind::Drawing,
        sd102,
        format!(
            "@{to_pm} SD-102 is waiting for your review. The concierge desk follows SD-101 details:\n\n- same onyx light box\n- walnut to match V-01"
        ),
        false,
    )
    .await?;
    say(
        pm,
        RecordKind::Project,
        project_id,
        "Site access for the lobby install is from the service road only, **07:00–16:00**.          Please keep the main entrance clear for hotel guests."
            .to_owned(),
        true,
    )
    .await?;
    // The administrator, who most people try the demo as, finds a question in their inbox.
    let admin = s
        .mentionable(pm, RecordKind::Project, project_id, "admin")
        .await?
        .into_iter()
        .find(|p| p.handle == "admin");
    if let Some(admin) = admin {
        say(
            pm,
            RecordKind::Project,
            project_id,
            format!(
                "@{} the lobby programme is ready for your sign-off: SD-101 is approved as noted and the veneer samples come on Thursday.",
                admin.handle
            ),
            false,
        )
        .await?;
    }
    Ok(())
}
