//! The account's rules, in one place: the resource logic checks them at plan time and the local
//! engine enforces them as the service does. Messages name the rule so users can act on them.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub const NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 500;
pub const KID_MAX: usize = 100;
pub const FREE_ACCOUNT_APPLICATIONS: usize = 4;
pub const COMMERCIAL_ACCOUNT_APPLICATIONS: usize = 25;
pub const ACCESS_KEYS_PER_APPLICATION: usize = 2;

/// `name`: required, 1..=100 characters.
pub fn check_name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if len == 0 {
        return Err("must not be empty: a name is 1 to 100 characters".into());
    }
    if len > NAME_MAX {
        return Err(format!(
            "is {len} characters long; a name is 1 to {NAME_MAX} characters"
        ));
    }
    if name.trim().is_empty() {
        return Err("is only white space: a name needs at least one visible character".into());
    }
    if let Some(c) = name.chars().find(|c| c.is_control() || is_bidi_control(*c)) {
        return Err(format!(
            "contains the control character U+{:04X}; names are printable text on one line",
            c as u32
        ));
    }
    Ok(())
}

/// Characters that reorder text when displayed (used to disguise names).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// `description`: up to 500 characters.
pub fn check_description(description: &str) -> Result<(), String> {
    let len = description.chars().count();
    if len > DESCRIPTION_MAX {
        return Err(format!(
            "is {len} characters long; a description is at most {DESCRIPTION_MAX} characters"
        ));
    }
    Ok(())
}

/// `kid`: 1..=100 characters.
pub fn check_kid(kid: &str) -> Result<(), String> {
    let len = kid.chars().count();
    if len == 0 {
        return Err("must not be empty: omit it, or give 1 to 100 characters".into());
    }
    if len > KID_MAX {
        return Err(format!(
            "is {len} characters long; a kid is at most {KID_MAX} characters"
        ));
    }
    Ok(())
}

/// Ids are 32 lowercase hex characters.
pub fn is_valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub fn check_id(id: &str) -> Result<(), String> {
    if is_valid_id(id) {
        Ok(())
    } else {
        Err(format!(
            "{id:?} is not an Izuma id: ids are 32 lowercase hexadecimal characters"
        ))
    }
}

/// Parses an RFC 3339 timestamp.
pub fn parse_time(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        format!("{text:?} is not an RFC 3339 timestamp (for example \"2027-01-02T03:04:05Z\")")
    })
}

/// Formats a time as the API does: RFC 3339 in UTC with whole seconds (`2026-01-02T03:04:05Z`).
pub fn format_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Two RFC 3339 strings that name the same instant (`+01:00` against `Z`, fractions of zero).
pub fn same_instant(a: &str, b: &str) -> bool {
    match (parse_time(a), parse_time(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_to_a_hundred_characters() {
        assert!(check_name("").is_err());
        assert!(check_name("a").is_ok());
        assert!(check_name(&"é".repeat(100)).is_ok());
        assert!(check_name("   ").unwrap_err().contains("white space"));
        assert!(check_name("a\nb").unwrap_err().contains("U+000A"));
        assert!(check_name("evil\u{202E}txt")
            .unwrap_err()
            .contains("U+202E"));
        let err = check_name(&"a".repeat(101)).unwrap_err();
        assert!(err.contains("101 characters"), "{err}");
    }

    #[test]
    fn ids_are_32_lowercase_hex() {
        assert!(is_valid_id("0123456789abcdef0123456789abcdef"));
        assert!(!is_valid_id("0123456789ABCDEF0123456789abcdef"));
        assert!(!is_valid_id("0123"));
        assert!(!is_valid_id("../../etc/passwd0123456789abcdef0"));
    }

    #[test]
    fn times_round_trip_in_utc() {
        let t = parse_time("2027-01-02T04:04:05+01:00").unwrap();
        assert_eq!(format_time(t), "2027-01-02T03:04:05Z");
        assert!(same_instant(
            "2027-01-02T04:04:05+01:00",
            "2027-01-02T03:04:05Z"
        ));
        assert!(!same_instant(
            "2027-01-02T04:04:05Z",
            "2027-01-02T03:04:05Z"
        ));
        assert!(parse_time("tomorrow").is_err());
    }
}
