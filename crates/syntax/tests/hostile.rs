//! Fuzz-style: the parser on hostile input (deep nesting far past the limit, random bytes,
//! language pieces in random order) never panics, never overflows a test thread's small
//! stack, and reports nesting only as E0105's kind; a re-parse after an edit equals a full
//! parse. Bounded: a few dozen cases of each.

use mlforge_syntax::{parse, reparse, SyntaxErrorKind, MAX_NESTING};
use mlforge_synth::hostile::{deep_program, hostile_program};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn parsing_hostile_text_never_fails(text in hostile_program(MAX_NESTING)) {
        let parsed = parse(&text);
        for e in &parsed.errors {
            prop_assert!((e.span.end as usize) <= text.len());
        }
    }

    #[test]
    fn deep_text_is_cut_at_the_limit(text in deep_program(MAX_NESTING)) {
        let parsed = parse(&text);
        let deep = parsed.errors.iter().filter(|e| e.kind == SyntaxErrorKind::TooDeep).count();
        // Far past the limit, the input is always reported (and parsed, cut).
        if text.len() > 40 * MAX_NESTING {
            prop_assert!(deep >= 1);
        }
    }

    #[test]
    fn reparsing_after_an_edit_equals_a_full_parse(
        text in deep_program(MAX_NESTING),
        at in any::<prop::sample::Index>(),
        insert in prop_oneof![Just("("), Just(")"), Just("not "), Just(" + a"), Just("{"), Just("x")],
    ) {
        let mut at = at.index(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let edited = format!("{}{insert}{}", &text[..at], &text[at..]);
        prop_assert_eq!(reparse(&parse(&text), &text, &edited), parse(&edited));
    }
}
