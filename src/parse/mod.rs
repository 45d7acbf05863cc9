//! Request text → a list of typed [`Intent`]s. Nothing here reads the catalog: targets stay
//! names until [`crate::plan::resolve`] looks them up, and values are only what the request said.

pub mod grammar;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Requests longer than this are refused before parsing, so parsing time stays bounded.
pub const MAX_REQUEST_CHARS: usize = 2000;

/// One thing the request asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Intent {
    /// Promo at a percentage off Base Price.
    Discount { target: Target, percent: Decimal },
    /// Promo at Base Price minus an amount.
    AmountOff { target: Target, amount: Decimal },
    /// Promo at an explicit price.
    PromoPrice { target: Target, price: Decimal },
    /// Back to the regular price: Promo Active FALSE, Promo Price empty.
    EndPromo { target: Target },
    /// Set the Inventory flag.
    SetInventory {
        target: Target,
        state: InventoryState,
    },
    /// Change Base Price (promo cells untouched).
    BasePrice { target: Target, change: PriceChange },
    /// Add a new product.
    Create {
        sku: String,
        name: String,
        category: String,
        price: Decimal,
        #[serde(default)]
        inventory: Option<InventoryState>,
    },
    /// A read-only question or listing.
    Read {
        #[serde(default)]
        target: Option<Target>,
    },
    /// Tell people about something; never a catalog change.
    Notify { message: String },
}

impl Intent {
    /// The target the intent acts on, if it has one.
    pub fn target(&self) -> Option<&Target> {
        match self {
            Intent::Discount { target, .. }
            | Intent::AmountOff { target, .. }
            | Intent::PromoPrice { target, .. }
            | Intent::EndPromo { target }
            | Intent::SetInventory { target, .. }
            | Intent::BasePrice { target, .. } => Some(target),
            Intent::Read { target } => target.as_ref(),
            Intent::Create { .. } | Intent::Notify { .. } => None,
        }
    }
}

/// How a Base Price changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum PriceChange {
    To { price: Decimal },
    Percent { percent: Decimal, up: bool },
    Amount { amount: Decimal, up: bool },
}

/// The five Inventory flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InventoryState {
    InStock,
    LowStock,
    OutOfStock,
    Discontinued,
    PreOrder,
}

impl InventoryState {
    pub const ALL: [InventoryState; 5] = [
        InventoryState::InStock,
        InventoryState::LowStock,
        InventoryState::OutOfStock,
        InventoryState::Discontinued,
        InventoryState::PreOrder,
    ];

    /// The flag as stored in the Inventory column.
    pub fn flag(self) -> &'static str {
        match self {
            InventoryState::InStock => "in_stock",
            InventoryState::LowStock => "low_stock",
            InventoryState::OutOfStock => "out_of_stock",
            InventoryState::Discontinued => "discontinued",
            InventoryState::PreOrder => "pre_order",
        }
    }

    pub fn from_flag(flag: &str) -> Option<InventoryState> {
        Self::ALL
            .into_iter()
            .find(|s| s.flag().eq_ignore_ascii_case(flag.trim()))
    }

    /// A stock count as a flag: 0 → out_of_stock, 1..=10 → low_stock, more → in_stock.
    pub fn from_count(count: u64) -> InventoryState {
        match count {
            0 => InventoryState::OutOfStock,
            1..=10 => InventoryState::LowStock,
            _ => InventoryState::InStock,
        }
    }
}

/// Which products an intent is about: the union of its selectors, narrowed by every filter.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Target {
    pub selectors: Vec<Selector>,
    #[serde(default)]
    pub filters: Vec<Filter>,
}

/// One way of naming products.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", content = "value", rename_all = "snake_case")]
pub enum Selector {
    Sku(String),
    Name(String),
    Category(String),
    /// The whole catalog.
    All,
    /// "it" / "them": the products named earlier in the same request.
    Previous,
}

/// A condition on rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "by", content = "value", rename_all = "snake_case")]
pub enum Filter {
    /// Base Price below this.
    PriceUnder(Decimal),
    /// Base Price above this.
    PriceOver(Decimal),
    Inventory(InventoryState),
    PromoActive(bool),
}

/// Parses a request with the deterministic grammar, refusing over-long input first.
pub fn parse(request: &str) -> Result<Vec<Intent>> {
    if request.chars().count() > MAX_REQUEST_CHARS {
        return Err(Error::input(format!(
            "the request is longer than {MAX_REQUEST_CHARS} characters; nothing was planned"
        ))
        .hint("split it into several smaller requests"));
    }
    if request.trim().is_empty() {
        return Err(Error::input("the request is empty").with_examples());
    }
    grammar::parse(request)
}

/// Example requests shown with every refusal.
pub const EXAMPLES: [&str; 3] = [
    "take 15% off all running shoes",
    "mark STR-002 out of stock",
    "end the promo on Classic Runner",
];

impl Error {
    /// Adds the example requests as a hint, for refusals of requests that were not understood.
    pub fn with_examples(self) -> Error {
        self.hint(format!(
            "try a request like: {}",
            EXAMPLES.map(|e| format!("\"{e}\"")).join(", ")
        ))
    }
}
