//! Errors raised when raw input is parsed into the engine's types.

/// Why a value could not be parsed; the caller adds where (file, line, column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("`{0}` is not a decimal number")]
    NotDecimal(String),
    #[error("`{0}` is negative")]
    Negative(String),
    #[error("`{value}` has more than {max} digits after the decimal point")]
    TooPrecise { value: String, max: u32 },
    #[error("`{0}` is too large")]
    TooLarge(String),
    #[error("`{0}` is not a call type code (lower-case letters, digits and `_`)")]
    CallType(String),
    #[error("`{0}` is not a direction (inbound, outbound or internal)")]
    Direction(String),
    #[error("`{0}` is not a prefix (digits only, at most {max} of them)", max = crate::number::MAX_DIGITS)]
    Prefix(String),
    #[error("`{0}` is not an NPA-NXX (six digits, the first and fourth 2-9)")]
    NpaNxx(String),
    #[error("`{0}` is not an increment (a whole number of seconds, at least 1)")]
    Increment(String),
}

/// Money that does not fit the fixed-point integer it is kept in. A bill that large comes from
/// an error in the rates or the records: it is refused, never capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Overflow {
    #[error("its charge would be larger than {}", crate::Charge::MAX)]
    Charge,
    #[error("the line's charges would add up to more than {}", crate::Charge::MAX)]
    Line,
    #[error("the line's seconds would add up to more than {}", i64::MAX)]
    Seconds,
    #[error("the total would be larger than {}", crate::Amount::MAX)]
    Total,
}
