//! Request text → a list of typed [`Intent`]s. Nothing here reads the catalog: targets stay
//! names until [`crate::plan::resolve`] looks them up, and values are only what the request said.

mod clauses;
mod create;
pub mod grammar;
mod guard;
pub mod lexer;
pub mod pattern;
mod read;
mod target;
pub mod vocab;
mod writes;

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
    /// Promo Active TRUE at the Promo Price already stored (refused when none is stored).
    ActivatePromo { target: Target },
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
        /// What kind of answer it wants and about which columns.
        #[serde(default)]
        question: Question,
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
            | Intent::ActivatePromo { target }
            | Intent::EndPromo { target }
            | Intent::SetInventory { target, .. }
            | Intent::BasePrice { target, .. } => Some(target),
            Intent::Read { target, .. } => target.as_ref(),
            Intent::Create { .. } | Intent::Notify { .. } => None,
        }
    }
}

/// What a read asks for: the shape of its answer and the columns it is about.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Question {
    #[serde(default)]
    pub ask: Ask,
    /// The topics asked about; none means every column.
    #[serde(default)]
    pub about: Vec<Topic>,
}

/// The shape of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ask {
    /// "show me ...", "which ...", "what's the price of ...": the matching rows.
    #[default]
    List,
    /// "how many ...": the number of matching rows (and the rows).
    Count,
    /// "is X on promo?", "are the Trail shoes in stock?": yes when every named product meets
    /// the condition; the named products are the rows that decide it.
    Whether,
    /// "is anything out of stock in Trail?", "do we have kids shoes under $50?": yes when at
    /// least one product matches; the matching ones are shown.
    Exists,
}

/// A group of columns a question can be about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// Base Price, Promo Price, Promo Active.
    Price,
    /// Inventory.
    Stock,
    /// Image URL.
    Image,
}

/// How a Base Price changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum PriceChange {
    /// Set to a price; `up` says whether the request said raise (true) or lower (false), so a
    /// "raise to" below the current price is refused rather than carried out.
    To {
        price: Decimal,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        up: Option<bool>,
    },
    Percent {
        percent: Decimal,
        up: bool,
    },
    Amount {
        amount: Decimal,
        up: bool,
    },
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
    /// Image URL filled in (true) or empty (false).
    HasImage(bool),
    /// Can be bought now (in stock or low stock), or not.
    Available(bool),
}

/// Parses a request with the deterministic grammar, refusing over-long input first.
pub fn parse(request: &str) -> Result<Vec<Intent>> {
    check_length(request)?;
    let intents = grammar::parse(request)?;
    validate(&intents)?;
    Ok(intents)
}

/// Refuses empty and over-long requests before any parsing, so parsing time stays bounded.
pub(crate) fn check_length(request: &str) -> Result<()> {
    if request.chars().count() > MAX_REQUEST_CHARS {
        return Err(Error::input(format!(
            "the request is longer than {MAX_REQUEST_CHARS} characters; nothing was planned"
        ))
        .hint("split it into several smaller requests"));
    }
    if request.trim().is_empty() {
        return Err(Error::input("the request is empty").with_examples());
    }
    Ok(())
}

/// Checks the values of intents, whoever produced them (the grammar or a model): percentages
/// in range, prices and amounts above zero with at most two decimals, complete new products.
pub fn validate(intents: &[Intent]) -> Result<()> {
    for intent in intents {
        if let Some(target) = intent.target() {
            check_target(target)?;
        }
        match intent {
            Intent::Discount { percent, .. } => check_discount(*percent)?,
            Intent::AmountOff { amount, .. } => amount_above_zero(*amount, "an amount off")?,
            Intent::PromoPrice { price, .. } => price_above_zero(*price, "promo price")?,
            Intent::BasePrice { change, .. } => check_price_change(change)?,
            Intent::Create {
                sku,
                name,
                category,
                price,
                ..
            } => check_create(sku, name, category, *price)?,
            Intent::Notify { message } => {
                if message.chars().count() > MAX_REQUEST_CHARS {
                    return Err(Error::input("the notification message is too long"));
                }
            }
            Intent::ActivatePromo { .. }
            | Intent::EndPromo { .. }
            | Intent::SetInventory { .. }
            | Intent::Read { .. } => {}
        }
    }
    Ok(())
}

fn check_discount(percent: Decimal) -> Result<()> {
    if percent <= Decimal::ZERO || percent >= Decimal::ONE_HUNDRED {
        return Err(Error::input(format!(
            "a discount of {percent}% is not possible: it must be above 0% and below 100%; nothing was planned"
        ))
        .with_examples());
    }
    Ok(())
}

fn check_price_change(change: &PriceChange) -> Result<()> {
    match change {
        PriceChange::To { price, .. } => price_above_zero(*price, "base price"),
        PriceChange::Percent { percent, up } => {
            if *percent <= Decimal::ZERO || (!up && *percent >= Decimal::ONE_HUNDRED) {
                return Err(Error::input(format!(
                    "changing a base price by {percent}% is not possible: prices must stay above zero; nothing was planned"
                ))
                .with_examples());
            }
            Ok(())
        }
        PriceChange::Amount { amount, .. } => amount_above_zero(*amount, "a base price change"),
    }
}

/// A new product: a usable SKU, a name and a category of 1 to 200 characters, a price above zero.
fn check_create(sku: &str, name: &str, category: &str, price: Decimal) -> Result<()> {
    let sku_ok = !sku.is_empty()
        && sku.len() <= 64
        && sku
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !sku_ok {
        return Err(Error::input(format!(
            "\"{sku}\" is not a usable SKU for a new product; nothing was planned"
        ))
        .hint("a SKU is letters and digits joined by dashes, e.g. ABC-123"));
    }
    for (what, text) in [("name", name), ("category", category)] {
        if text.trim().is_empty() || text.chars().count() > 200 {
            return Err(Error::input(format!(
                "a new product needs a {what} of 1 to 200 characters; nothing was planned"
            ))
            .hint(CREATE_EXAMPLE));
        }
    }
    price_above_zero(price, "base price")
}

/// How to ask for a new product, shown when one is incomplete.
pub const CREATE_EXAMPLE: &str = "say the new SKU, a name, an existing category and a price: \"add a new product ABC-100 Trail Sprite in Kids at $44.99\"";

fn check_target(target: &Target) -> Result<()> {
    let texts = target.selectors.iter().filter_map(|s| match s {
        Selector::Sku(t) | Selector::Name(t) | Selector::Category(t) => Some(t),
        Selector::All | Selector::Previous => None,
    });
    for text in texts {
        if text.trim().is_empty() || text.chars().count() > MAX_REQUEST_CHARS {
            return Err(Error::input("a product reference is empty or too long").with_examples());
        }
    }
    for filter in &target.filters {
        if let Filter::PriceUnder(p) | Filter::PriceOver(p) = filter
            && p.is_sign_negative()
        {
            return Err(Error::input(format!(
                "a price condition of ${p} is negative; nothing was planned"
            )));
        }
    }
    Ok(())
}

fn price_above_zero(price: Decimal, what: &str) -> Result<()> {
    if price < Decimal::ZERO {
        return Err(Error::input(format!(
            "a {what} of ${price} is negative; prices must be above zero, nothing was planned"
        ))
        .with_examples());
    }
    if price.is_zero() {
        return Err(Error::input(format!(
            "a {what} of $0 is not possible; prices must be above zero, nothing was planned"
        ))
        .with_examples());
    }
    if price.normalize().scale() > 2 {
        return Err(Error::input(format!(
            "a {what} of ${price} has more than two decimals; nothing was planned"
        )));
    }
    Ok(())
}

fn amount_above_zero(amount: Decimal, what: &str) -> Result<()> {
    if amount <= Decimal::ZERO {
        return Err(Error::input(format!(
            "{what} of ${amount} is not possible: it must be above zero; nothing was planned"
        ))
        .with_examples());
    }
    if amount.normalize().scale() > 2 {
        return Err(Error::input(format!(
            "{what} of ${amount} has more than two decimals; nothing was planned"
        )));
    }
    Ok(())
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
