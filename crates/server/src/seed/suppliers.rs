//! The demo's supplier directory: the companies a millwork contractor buys from, with their
//! trades, terms, lead times and the people to call; and the purchasing settings (an
//! approval limit in the default currency).

use formula_app::Services;
use formula_app::context::Caller;
use formula_app::error::AppResult;
use formula_app::suppliers::{NewSupplier, SupplierContactInput};
use formula_domain::purchasing_settings::{ApprovalLimit, PurchasingSettingsInput};

struct Demo {
    name: &'static str,
    categories: &'static [&'static str],
    email: &'static str,
    phone: &'static str,
    website: &'static str,
    terms: &'static str,
    lead_time_days: i64,
    notes: Option<&'static str>,
    /// Name and role of each contact, in order.
    contacts: &'static [(&'static str, &'static str)],
}

/// Drama numbers (020 7946 0xxx) are reserved for fiction; `.example` domains never resolve.
const SUPPLIERS: &[Demo] = &[
    Demo {
        name: "Atlas Materials Trading LLC",
        categories: &["veneer", "wood", "laminate"],
        email: "orders@atlas-materials.example",
        phone: "+44 20 7946 0301",
        website: "atlas-materials.example",
        terms: "30 days net",
        lead_time_days: 21,
        notes: Some(
            "Book-matched veneer sets are cut to order: confirm the flitch before ordering.",
        ),
        contacts: &[("Omar Haddad", "Sales"), ("Priya Nair", "Accounts")],
    },
    Demo {
        name: "Northern Stone Works",
        categories: &["stone"],
        email: "sales@northernstone.example",
        phone: "+44 20 7946 0302",
        website: "northernstone.example",
        terms: "50% with order, 50% on delivery",
        lead_time_days: 35,
        notes: Some("Slabs are reserved for 14 days once approved."),
        contacts: &[("Erik Lund", "Account manager")],
    },
    Demo {
        name: "Brightline Solid Surfaces",
        categories: &["solid_surface"],
        email: "projects@brightline.example",
        phone: "+44 20 7946 0303",
        website: "brightline.example",
        terms: "30 days end of month",
        lead_time_days: 14,
        notes: None,
        contacts: &[("Sara Cole", "Project sales"), ("Tom Reid", "Technical")],
    },
    Demo {
        name: "Hafele-style Hardware Supply",
        categories: &["hardware"],
        email: "trade@hardware-supply.example",
        phone: "+44 20 7946 0304",
        website: "hardware-supply.example",
        terms: "14 days net",
        lead_time_days: 7,
        notes: None,
        contacts: &[("Lena Vogel", "Trade desk")],
    },
    Demo {
        name: "Clearview Glass & Mirror",
        categories: &["glass"],
        email: "quotes@clearview.example",
        phone: "+44 20 7946 0305",
        website: "clearview.example",
        terms: "30 days net",
        lead_time_days: 18,
        notes: Some("Toughened glass needs templates from site."),
        contacts: &[("Marco Bianchi", "Estimator")],
    },
    Demo {
        name: "Lumen Lighting Components",
        categories: &["lighting", "metal"],
        email: "sales@lumen.example",
        phone: "+44 20 7946 0306",
        website: "lumen.example",
        terms: "Payment with order",
        lead_time_days: 28,
        notes: None,
        contacts: &[("Aisha Khan", "Sales engineer")],
    },
    Demo {
        name: "Meridian Finishes",
        categories: &["finish", "upholstery"],
        email: "hello@meridian-finishes.example",
        phone: "+44 20 7946 0307",
        website: "meridian-finishes.example",
        terms: "30 days net",
        lead_time_days: 10,
        notes: None,
        contacts: &[("Noah Price", "Colour matching"), ("Eva Stone", "Accounts")],
    },
    Demo {
        name: "Textile House Interiors",
        categories: &["fabric", "upholstery"],
        email: "contract@textilehouse.example",
        phone: "+44 20 7946 0308",
        website: "textilehouse.example",
        terms: "45 days net",
        lead_time_days: 42,
        notes: Some("Fire-rated fabrics need their certificate with every order."),
        contacts: &[("Julia Moreau", "Contract sales")],
    },
];

/// Adds the directory and the purchasing settings; returns how many suppliers were added.
pub async fn seed(services: &Services, admin: &Caller) -> AppResult<usize> {
    for d in SUPPLIERS {
        let s = services
            .create_supplier(
                admin,
                NewSupplier {
                    name: d.name.to_owned(),
                    categories: d.categories.iter().map(|c| (*c).to_owned()).collect(),
                    email: Some(d.email.to_owned()),
                    phone: Some(d.phone.to_owned()),
                    website: Some(d.website.to_owned()),
                    address: None,
                    tax_number: None,
                    payment_terms: Some(d.terms.to_owned()),
                    lead_time_days: Some(d.lead_time_days),
                    notes: d.notes.map(str::to_owned),
                },
            )
            .await?;
        for (name, role) in d.contacts {
            services
                .add_supplier_contact(
                    admin,
                    s.id,
                    SupplierContactInput {
                        name: (*name).to_owned(),
                        role: Some((*role).to_owned()),
                        ..SupplierContactInput::default()
                    },
                )
                .await?;
        }
    }
    // A project manager approves orders up to 25,000 in the default currency.
    let currency = services.config.default_currency.clone();
    let digits = formula_domain::money::minor_digits(&currency);
    let settings = services.purchasing_settings(admin).await?;
    services
        .save_purchasing_settings(
            admin,
            settings.version,
            PurchasingSettingsInput {
                designers_see_prices: false,
                craftsmen_see_prices: false,
                approval_limits: vec![ApprovalLimit {
                    currency,
                    project_manager_limit_minor: 25_000 * 10_i64.pow(digits),
                }],
                version: None,
            },
        )
        .await?;
    Ok(SUPPLIERS.len())
}
