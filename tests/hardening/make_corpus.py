"""Write the committed bad-input corpus (tests/hardening/corpus/). Every file is fictional.

Run `python tests/hardening/make_corpus.py` after changing a case here; the test
`test_hardening_corpus_files_match_their_generator` fails when the files and this script differ.
Expectations for each file live in corpus/expected.yaml.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from hostile import GOOD, docx_bytes, zip_bytes  # noqa: E402

CORPUS = Path(__file__).parent / "corpus"


def cases() -> dict[str, bytes]:
    g = GOOD.encode()
    c: dict[str, bytes] = {}
    # --- plain text -----------------------------------------------------------------------------
    c["truncated_utf8.txt"] = g + b"C: and the caf\xc3"
    c["nul_bytes.txt"] = b"T: Hello.\nC: he\x00llo\n"
    c["mixed_encodings.txt"] = ("T: The caf\u00e9 was nice?\n".encode() + "C: It felt na\xefve.\n".encode("cp1252")
                                + b"T: Really?\nC: \x93Yes\x94, really.\n")
    c["long_line_5000.txt"] = ("T: " + "so " * 1666 + "well?\nC: " + "x" * 5000 + "\n").encode()
    c["zero_width_labels.txt"] = "T\u200b: Hello?\nC\u200d: Hi \u2060there.\nT: Ok\u200b?\nC: Yes.\n".encode()
    c["bidi_controls.txt"] = ("\u202eT: Hello, how are you?\nC: \u202b\u05e9\u05dc\u05d5\u05dd\u202c, fine.\n"
                              "T: \u0645\u0631\u062d\u0628\u0627?\nC: \u2067Ok\u2069.\n").encode()
    c["timestamp_like_labels.txt"] = (b"[00:00:01] T: When did you arrive?\n[00:00:04] C: 12:30: that is when.\n"
                                      b"10:45: and then I left.\n[00:00:09] T: I see.\n[00:00:12] C: Yes.\n")
    c["bad_timestamp.txt"] = b"[99:99] T: Hello?\n[00:02] C: Hi.\n"
    c["huge_timestamp.txt"] = b"[999:00:00] T: Hello?\n[999:00:05] C: Hi.\n"
    c["cr_only_line_endings.txt"] = g.replace(b"\n", b"\r")
    c["utf16le_bom.txt"] = b"\xff\xfe" + GOOD.encode("utf-16-le")
    c["utf16be_bom.txt"] = b"\xfe\xff" + GOOD.encode("utf-16-be")
    c["utf16le_no_bom.txt"] = GOOD.encode("utf-16-le")
    c["utf16_truncated.txt"] = (b"\xff\xfe" + GOOD.encode("utf-16-le"))[:-1]
    c["utf32_bom.txt"] = b"\xff\xfe\x00\x00" + GOOD.encode("utf-32-le")
    c["utf8_bom_then_utf16.txt"] = b"\xef\xbb\xbf\xff\xfe" + GOOD.encode("utf-16-le")
    c["html_payloads.txt"] = (b"T: <script>window.__pwned=1</script> How are you?\n"
                              b"C: <img src=x onerror=\"window.__pwned=1\"> fine &amp; you?\n"
                              b"T: \"><svg onload=alert(1)> ok.\nC: </textarea><b>bold</b>\n")
    c["only_headers.txt"] = b"# therapist: Dr. Lee\n# client: Sam\n# date: 2020-01-01\n"
    c["one_speaker.txt"] = b"T: Hello?\nT: Anyone there?\nT: Hello?\n"
    c["terminal_escapes.txt"] = b"T: \x1b[31mred\x1b[0m text?\nC: a bell \x07 here.\n"
    c["bracketed-timestamps-no-extension"] = b"[00:01] T: Hello there, how are you?\n[00:05] C: Fine.\n"
    c["binary_png.txt"] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
    c["whitespace_only.txt"] = b" \n\t\n  \r\n"
    c["latin1_binary_garbage.txt"] = bytes(range(1, 32)) * 8 + bytes(range(128, 256))
    # --- WebVTT -----------------------------------------------------------------------------------
    c["overlapping_cues.vtt"] = (b"WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v T>Hello?\n\n"
                                 b"00:00:02.000 --> 00:00:03.000\n<v C>Hi.\n\n"
                                 b"00:00:02.500 --> 00:00:09.000\n<v T>So.\n")
    c["no_header.vtt"] = b"00:00:01.000 --> 00:00:05.000\n<v T>Hello?\n"
    c["cue_ends_before_start.vtt"] = b"WEBVTT\n\n00:00:05.000 --> 00:00:01.000\n<v T>Hello?\n"
    c["truncated.vtt"] = b"WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v T>Hello?\n\n00:00:06.000 --> 00:0"
    c["unclosed_voice_tags.vtt"] = (b"WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n" + b"<v " * 2000
                                    + b"\n\n00:00:06.000 --> 00:00:07.000\n<v C>Hi.\n")
    c["escaped_payload.vtt"] = (b"WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n"
                                b"<v T>&lt;script&gt;window.__pwned=1&lt;/script&gt; Hello?\n\n"
                                b"00:00:06.000 --> 00:00:07.000\n<v C>Hi &amp; bye.\n")
    c["timestamp_voice_names.vtt"] = (b"WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v 00:00:01>How are you?\n\n"
                                      b"00:00:06.000 --> 00:00:07.000\n<v 00:00:02>Fine.\n")
    c["only_notes.vtt"] = b"WEBVTT\n\nNOTE nothing was said\n\nNOTE still nothing\n"
    c["hours_overflow.vtt"] = (b"WEBVTT\n\n99:00:00.000 --> 101:00:00.000\n<v T>Hello?\n\n"
                               b"101:00:01.000 --> 101:00:02.000\n<v C>Hi.\n")
    c["crlf_bom.vtt"] = (b"\xef\xbb\xbfWEBVTT\r\n\r\n00:00:01.000 --> 00:00:02.000\r\n<v T>Hello?\r\n\r\n"
                         b"00:00:03.000 --> 00:00:04.000\r\n<v C>Hi.\r\n")
    # --- SRT --------------------------------------------------------------------------------------
    c["missing_indices.srt"] = b"00:00:01,000 --> 00:00:02,000\nT: Hello?\n\n00:00:03,000 --> 00:00:04,000\nC: Hi.\n"
    c["index_without_timing.srt"] = b"1\nT: Hello?\n\n2\n00:00:03,000 --> 00:00:04,000\nC: Hi.\n"
    c["arrow_in_text.srt"] = b"1\n00:00:01,000 --> 00:00:02,000\nT: Hello?\n\nI said a --> b\n"
    c["truncated.srt"] = b"1\n00:00:01,000 --> 00:00:02,000\nT: Hello?\n\n2\n00:00:0"
    c["dot_and_comma_times.srt"] = (b"1\n00:00:01.000 --> 00:00:02,000\nT: Hello?\n\n"
                                    b"2\n00:00:03,000 --> 00:00:04.500\nC: Hi.\n")
    # --- CSV / TSV --------------------------------------------------------------------------------
    c["formula_injection.csv"] = (b'speaker,text\nT,"=HYPERLINK(""http://example.invalid/"",""click"")"\n'
                                  b"C,+cmd|' /C calc'!A0\nT,@SUM(1+1)?\nC,-2+3\n"
                                  b'"=1+1",Hello from a formula speaker.\n')
    c["unclosed_quote.csv"] = b'speaker,text\nT,"Hello?\nC,Hi.\nT,Ok.\n'
    c["ragged_rows.csv"] = b"speaker,text,start\nT\nC,Hi.,1,extra,cells\nT,Ok?\n"
    c["header_only.csv"] = b"speaker,text\n"
    c["semicolon_delimited.csv"] = b"speaker;text\nT;Hello?\nC;Hi.\n"
    c["huge_start_time.csv"] = b"speaker,text,start\nT,Hello?,1e308\nC,Hi.,1e308\n"
    c["swapped_columns.csv"] = b"text,speaker\n" + b"".join(b'T,"' + b"word " * 200 + b'"\n' for _ in range(3))
    c["timestamp_speakers.csv"] = b"speaker,text\n00:00:01,How are you?\n00:00:02,Fine.\n00:00:01,Why?\n"
    c["nul_in_csv.csv"] = b"speaker,text\nT,Hel\x00lo\nC,Hi\n"
    c["empty_speaker.csv"] = b"speaker,text\nT,Hello?\n,Who said this?\n"
    c["mixed_delimiters.tsv"] = b"speaker\ttext\nT\tWell, yes, I think so?\nC\tNo, not really.\n"
    c["quote_mid_cell.tsv"] = b'speaker\ttext\nT\tHe said "no and left?\nC\tYes.\n'
    # --- JSON / JSONL -----------------------------------------------------------------------------
    c["nested_10000.json"] = b"[" * 10_000 + b"]" * 10_000
    c["nested_object_900.json"] = (b'{"turns": [{"speaker": "T", "text": "Hi?", "x": ' + b'{"a":' * 900
                                   + b"1" + b"}" * 900 + b'}, {"speaker": "C", "text": "Hi."}]}')
    c["list_speaker.json"] = b'[{"speaker": [["T"]], "text": "Hi?"}, {"speaker": "C", "text": "Hi."}]'
    c["infinite_time.json"] = (b'[{"speaker": "T", "text": "Hi?", "start": 1e400}, '
                               b'{"speaker": "C", "text": "Hi.", "start": 2}]')
    c["lone_surrogate.json"] = b'[{"speaker": "T", "text": "Hi \\ud800 there?"}, {"speaker": "C", "text": "Hi."}]'
    c["escaped_invisibles.json"] = (b'[{"speaker": "T\\u200b", "text": "Hi \\u0000 \\u202e there?"}, '
                                    b'{"speaker": "T", "text": "More?"}, {"speaker": "C", "text": "Ok."}]')
    c["scalar.json"] = b"42"
    c["trailing_garbage.json"] = b'[{"speaker": "T", "text": "Hi?"}, {"speaker": "C", "text": "Ok."}] garbage'
    c["session_id_traversal.json"] = (b'{"session": "../../etc/passwd", "turns": [{"speaker": "T", "text": "Hi?"}, '
                                      b'{"speaker": "C", "text": "Ok."}]}')
    c["number_text.json"] = b'[{"speaker": "T", "text": 5}, {"speaker": "C", "text": "Ok."}]'
    c["empty_list.json"] = b"[]"
    c["nan_time.json"] = (b'[{"speaker": "T", "text": "Hi?", "start": NaN}, '
                          b'{"speaker": "C", "text": "Ok.", "start": "NaN"}]')
    c["broken_line.jsonl"] = b'{"speaker": "T", "text": "Hi?"}\n{"speaker": "C", "text": "Ok."\n'
    c["list_line.jsonl"] = b'{"speaker": "T", "text": "Hi?"}\n[1, 2]\n'
    c["bom_blank_lines.jsonl"] = (b'\xef\xbb\xbf{"speaker": "T", "text": "Hi?"}\n\n   \n'
                                  + json.dumps({"speaker": "C", "text": "Ok."}).encode() + b"\n")
    # --- docx -------------------------------------------------------------------------------------
    c["renamed_zip.docx"] = zip_bytes({"notes.txt": "not a document"})
    c["renamed_text.docx"] = g
    c["truncated.docx"] = docx_bytes(["T: Hello?", "C: Hi."])[:200]
    c["spreadsheet.docx"] = zip_bytes({
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                               'content-types"><Override PartName="/xl/workbook.xml" ContentType="application/'
                               'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                       'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                       'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": "<workbook/>"})
    c["external_entity.docx"] = docx_bytes(
        [], doctype='<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>',
        raw_body='<w:p><w:r><w:t>T: Hello &xxe; there?</w:t></w:r></w:p><w:p><w:r><w:t>C: Hi.</w:t></w:r></w:p>')
    c["billion_laughs.docx"] = docx_bytes(
        [], doctype='<!DOCTYPE w:document [<!ENTITY a "hahahahaha">' + "".join(
            f'<!ENTITY {chr(98 + k)} "' + f"&{chr(97 + k)};" * 10 + '">' for k in range(8)) + "]>",
        raw_body='<w:p><w:r><w:t>T: Laugh &i; now?</w:t></w:r></w:p><w:p><w:r><w:t>C: No.</w:t></w:r></w:p>')
    c["empty_document.docx"] = docx_bytes([])
    c["payload_paragraphs.docx"] = docx_bytes(["T: <script>window.__pwned=1</script> Hello?",
                                               "C: =HYPERLINK(\"x\") Hi."])
    return c


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    for name, data in cases().items():
        (CORPUS / name).write_bytes(data)
    print(f"wrote {len(cases())} files to {CORPUS}")


if __name__ == "__main__":
    main()
