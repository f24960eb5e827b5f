//! Random mutations of corpus inputs, from a seeded RNG so a run can be repeated: byte
//! flips, random and "interesting" bytes, inserts, deletes, duplications, splices with
//! another input, and tokens of the target's syntax repeated (deep nesting, long runs).

use fastrand::Rng;

/// Tokens worth inserting, by target.
pub fn dictionary(target: &str) -> &'static [&'static str] {
    match target {
        "edn" | "ion-config" | "manifest" => &[
            "{",
            "}",
            "[",
            "]",
            "(",
            ")",
            "#{",
            "\"",
            "\\",
            ":",
            "#inst \"",
            "#uuid \"",
            "#_",
            "#",
            "^",
            ";",
            "\n",
            "1e999",
            "-0",
            "9223372036854775808",
            "1N",
            "1M",
            "\\u",
            "\\x",
            "##NaN",
            "##Inf",
            "nil",
            "true",
            "/",
            ":a/b",
            "\u{10FFFF}",
            ",",
            ":lambdas",
            ":fn",
            ":http-direct",
            ":allow",
            ":app-name",
            ":sha256",
            ":size",
            ":parts",
            ":component",
            ":rev",
            ":uname",
            ":pushed-at",
            ":imports",
            ":made",
            ":xforms",
        ],
        "apigw-event" => &[
            "{",
            "}",
            "[",
            "]",
            "\"",
            "\\u",
            "\\ud800",
            ":",
            ",",
            "null",
            "1e999",
            "-0",
            "\"version\":\"2.0\"",
            "\"version\":\"1.0\"",
            "\"httpMethod\":",
            "\"headers\":",
            "\"multiValueHeaders\":",
            "\"isBase64Encoded\":true",
            "\"body\":",
            "\"cookies\":",
            "\"rawQueryString\":",
            "\"queryStringParameters\":",
            "\"requestContext\":",
            "%",
            "%zz",
            "=",
            "&",
        ],
        "lambda-api" => &[
            "\r\n",
            ":",
            "%",
            "%2",
            "%zz",
            "%F0%9F",
            "?Qualifier=",
            "&",
            "arn:aws:lambda:x:1:function:",
            "X-Amz-Invocation-Type: ",
            "Event",
            "DryRun",
            "X-Amz-Log-Type: Tail\r\n",
            "X-Amz-Client-Context: ",
            "e30=",
            "=",
            "Content-Length: ",
            "Transfer-Encoding: chunked\r\n",
            "0\r\n\r\n",
            "{",
            "}",
            "\"",
            "[",
            "]",
            "\\u",
            "hostile-ok",
            "hostile-fail",
        ],
        _ => &[],
    }
}

/// A mutation of `input`; `other` is another corpus input for splicing.
pub fn mutate(rng: &mut Rng, target: &str, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    let rounds = 1 + rng.usize(..4);
    for _ in 0..rounds {
        let len = out.len();
        match rng.u8(..9) {
            0 if len > 0 => {
                let i = rng.usize(..len);
                out[i] ^= 1 << rng.u8(..8);
            }
            1 if len > 0 => {
                let i = rng.usize(..len);
                out[i] = *rng
                    .choice(&[0u8, 0x7f, 0x80, 0xff, b'0', b'9', b' ', 0x01])
                    .unwrap_or(&0);
            }
            2 => {
                let i = rng.usize(..=len);
                let n = 1 + rng.usize(..8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.u8(..)).collect();
                out.splice(i..i, bytes);
            }
            3 if len > 0 => {
                let i = rng.usize(..len);
                let n = 1 + rng.usize(..(len - i).min(64));
                out.drain(i..i + n);
            }
            4 if len > 0 => {
                let i = rng.usize(..len);
                let n = 1 + rng.usize(..(len - i).min(64));
                let copy = out[i..i + n].to_vec();
                let at = rng.usize(..=out.len());
                out.splice(at..at, copy);
            }
            5 if !other.is_empty() => {
                let cut = rng.usize(..=len);
                let from = rng.usize(..other.len());
                out.truncate(cut);
                out.extend_from_slice(&other[from..]);
            }
            6 | 7 => {
                let dict = dictionary(target);
                if let Some(token) = rng.choice(dict) {
                    let i = rng.usize(..=len);
                    out.splice(i..i, token.bytes());
                }
            }
            8 => {
                // One token repeated many times: deep nesting, long runs.
                let dict = dictionary(target);
                if let Some(token) = rng.choice(dict) {
                    let times = *rng.choice(&[16usize, 256, 4096, 100_000]).unwrap();
                    let i = rng.usize(..=len);
                    out.splice(i..i, token.repeat(times).into_bytes());
                }
            }
            _ => {}
        }
    }
    out
}
