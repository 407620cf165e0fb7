"""The certificate PDF (reportlab, A4, embedded subset CJK font, QR code, red seal) and its PAdES signature."""

from __future__ import annotations

import functools
import io
import math
import re
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from certificates import rules
from certificates.fontsubset import SubsetCache
from trading.errors import Unavailable

FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT = "WQYMicroHei"
SEAL_RED = colors.Color(0.84, 0.05, 0.05)
_font_lock = threading.Lock()
_MARKUP = re.compile(r"[&<>]")


def register_font(path: Path = FONT_PATH) -> str:
    """Register the CJK TrueType font once per process (reportlab embeds a subset of it)."""
    with _font_lock:
        if FONT in pdfmetrics.getRegisteredFontNames():
            return FONT
        if not path.exists():
            raise Unavailable(f"缺少中文字体文件 {path}，无法生成鉴证书（请安装 fonts-wqy-microhei，"
                              "或运行 make system-deps）", code="font_unavailable")
        # asciiReadable=False: reportlab then fills all 255 codes of a subset in order of first use instead of
        # keeping 32–126 for ASCII (which made a certificate need one subset more). Only the raw codes in the
        # content stream change; what is drawn and the ToUnicode text are the same.
        font = TTFont(FONT, str(path), subfontIndex=0, asciiReadable=False)
        global _subsets
        _subsets = SubsetCache(font)
        pdfmetrics.registerFont(font)
    return FONT


_subsets: SubsetCache | None = None
SCAN_HINT = "扫码或访问以下地址核验真伪："
SIGNED_NOTE = "本证书含中心电子签名（PAdES）与 Ed25519 数字签名。"
# characters of the values that nearly every certificate prints (dates, amounts, codes, the audit hash)
_COMMON = "0123456789abcdef -:.,/%—；（）：年月日至元亩次"


def _constant_text(f: dict) -> str:
    """What every certificate of this kind, center and set of rows prints, in a fixed order (fontsubset.py)."""
    labels = "".join(label for label, _ in f["rows"])
    return (_COMMON + f["center"] + f["title"] + f["number_text"] + f["seal_text"] + f["statement"] + labels
            + f["issue_date"] + _TOKEN.sub("", f["verify_url"]) + rules.TOKEN_ALPHABET + SCAN_HINT + SIGNED_NOTE
            + "编号：审计链头第条")


# the random token ending a certificate number (rules.new_token) differs on every certificate: its characters
# are primed as the whole alphabet instead, so subset 0 stays one cached program per kind
_TOKEN = re.compile(r"-[0-9A-Z]{10}$")


@functools.lru_cache(maxsize=16)
def _style(size: float, color) -> ParagraphStyle:
    return ParagraphStyle("c", fontName=FONT, bulletFontName=FONT, fontSize=size, leading=size * 1.45, wordWrap="CJK",
                          textColor=color)


class _Line(Flowable):
    """Text that fits on one line, drawn with exactly the operators a one-line Paragraph of the same style emits.

    Most cells of the facts table are one short line; a Paragraph parses its markup with an HTML parser, measures
    every character to break lines, and is wrapped twice by the Table: about a third of build_pdf. When the text
    turns out not to fit (wrap with a narrower width), the Paragraph is built and does all the work instead.
    tests/certificates/test_pdf_render.py checks the emitted PDF code is byte-identical to the Paragraph's.
    """

    def __init__(self, text: str, style: ParagraphStyle):
        super().__init__()
        self.text, self.style = text, style
        self._para: Paragraph | None = None

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        st = self.style
        if self._para is None and pdfmetrics.stringWidth(self.text, st.fontName, st.fontSize) > aw - 1:
            self._para = Paragraph(escape(self.text), st)
        if self._para is not None:
            return self._para.wrap(aw, ah)
        self.width, self.height = aw, st.leading
        return self.width, self.height

    def drawOn(self, canvas, x, y, _sW=0):
        if self._para is not None:
            return self._para.drawOn(canvas, x, y, _sW)
        return super().drawOn(canvas, x, y, _sW)

    def draw(self) -> None:
        c, st = self.canv, self.style
        c.saveState()
        c.setFillColor(st.textColor)
        tx = c.beginText(0, self.height - st.fontSize)
        tx.setFont(st.fontName, st.fontSize, st.leading)
        tx.textLine(self.text)
        c.drawText(tx)
        c.restoreState()


def _p(text: str, size: float = 10.5, bold: bool = False, color=colors.black) -> Flowable:
    """A cell or line of text: a Paragraph (CJK wrapping), or a _Line when one line without markup does.

    _Line only for text the Paragraph would keep as one fragment, unchanged: no leading, trailing or repeated
    whitespace (the Paragraph collapses it), no characters its parser turns into separate fragments (& < >)."""
    style = _style(size, color)
    if text and " ".join(text.split()) == text and not _MARKUP.search(text):
        return _Line(text, style)
    return Paragraph(escape(text), style)


def _seal(c: canvas.Canvas, cx: float, cy: float, r: float, ring_text: str, center_text: str) -> None:
    """A red round electronic seal: outer ring, star, the center's name along the arc, the seal's use below."""
    c.saveState()
    c.setStrokeColor(SEAL_RED)
    c.setFillColor(SEAL_RED)
    c.setLineWidth(2.6)
    c.circle(cx, cy, r, stroke=1, fill=0)
    c.setLineWidth(0.6)
    c.circle(cx, cy, r - 4, stroke=1, fill=0)
    # five-pointed star
    star = c.beginPath()
    for i in range(10):
        radius = r * 0.26 if i % 2 == 0 else r * 0.105
        ang = math.pi / 2 + i * math.pi / 5
        x, y = cx + radius * math.cos(ang), cy + radius * math.sin(ang)
        star.moveTo(x, y) if i == 0 else star.lineTo(x, y)
    star.close()
    c.drawPath(star, stroke=0, fill=1)
    # the name along the upper arc, from lower-left to lower-right, letters upright towards the centre
    size = min(13.0, (r * 0.72))
    chars = list(ring_text)
    span = math.radians(250) if len(chars) > 8 else math.radians(200)
    start = math.pi / 2 + span / 2
    step = span / max(len(chars) - 1, 1)
    c.setFont(FONT, size)
    for i, ch in enumerate(chars):
        ang = start - i * step
        x = cx + (r - 6 - size * 0.8) * math.cos(ang)
        y = cy + (r - 6 - size * 0.8) * math.sin(ang)
        c.saveState()
        c.translate(x, y)
        c.rotate(math.degrees(ang) - 90)
        c.drawCentredString(0, -size * 0.35, ch)
        c.restoreState()
    c.setFont(FONT, size * 0.8)
    c.drawCentredString(cx, cy - r * 0.58, center_text)
    c.restoreState()


def _qr(c: canvas.Canvas, url: str, x: float, y: float, size: float) -> None:
    """The verification URL as a QR code drawn as vector rectangles (no extra fonts or images).

    Each horizontal run of dark modules is one rectangle in one filled path: the same picture with a
    fraction of the drawing operators of one rectangle per module. The mask pattern is fixed (any of the
    eight is valid and scans): qrcode's search for the "best" one scores all eight and took most of the time.
    """
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    qr = qrcode.QRCode(border=0, error_correction=ERROR_CORRECT_M, mask_pattern=2)
    qr.add_data(url)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    n = len(matrix)
    cell = size / n
    c.saveState()
    c.setFillColor(colors.black)
    path = c.beginPath()
    for row, line in enumerate(matrix):
        col = 0
        while col < n:
            if not line[col]:
                col += 1
                continue
            end = col
            while end < n and line[end]:
                end += 1
            path.rect(x + col * cell, y + size - (row + 1) * cell, (end - col) * cell + 0.05, cell + 0.05)
            col = end
    c.drawPath(path, stroke=0, fill=1)
    c.restoreState()


def build_pdf(f: dict) -> bytes:
    """Render the certificate from its frozen facts (see services.certified_facts)."""
    register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1, initialFontName=FONT, initialFontSize=10)
    if _subsets is not None:
        _subsets.prime(c._doc, _constant_text(f))
    w, h = A4
    c.setTitle(f"{f['title']} {f['number_text']}")
    c.setSubject(f["number"])
    c.setKeywords(f"certificate-number:{f['number']}")
    c.setAuthor(f["center"])
    c.setCreator("Tradehall")
    # frame
    c.setStrokeColor(colors.Color(0.55, 0.1, 0.1))
    c.setLineWidth(2)
    c.rect(14 * mm, 14 * mm, w - 28 * mm, h - 28 * mm)
    c.setLineWidth(0.5)
    c.rect(16 * mm, 16 * mm, w - 32 * mm, h - 32 * mm)
    # header, title, number
    c.setFillColor(colors.black)
    c.setFont(FONT, 13)
    c.drawCentredString(w / 2, h - 32 * mm, f["center"])
    c.setFont(FONT, 24)
    c.drawCentredString(w / 2, h - 45 * mm, f["title"])
    c.setFont(FONT, 11)
    number = f["number_text"] if f["number_text"] == f["number"] else f"{f['number_text']}（{f['number']}）"
    c.drawCentredString(w / 2, h - 53 * mm, f"编号：{number}")
    # facts table
    rows = [(label, value) for label, value in f["rows"]]
    data = [[_p(label, 10, color=colors.Color(0.25, 0.25, 0.25)), _p(value, 10.5)] for label, value in rows]
    table = Table(data, colWidths=[38 * mm, w - 36 * mm - 38 * mm - 10 * mm])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.Color(0.6, 0.6, 0.6)),
        ("BACKGROUND", (0, 0), (0, -1), colors.Color(0.96, 0.94, 0.92)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    tw, th = table.wrapOn(c, w - 36 * mm, h)
    top = h - 60 * mm
    table.drawOn(c, (w - tw) / 2, top - th)
    y = top - th - 8 * mm
    statement = _p(f["statement"], 11)
    sw, sh = statement.wrapOn(c, tw, 100)
    statement.drawOn(c, (w - tw) / 2, y - sh)
    y -= sh + 4 * mm
    # QR code, bottom left; the center's name, the date and the seal, bottom right; the audit head last
    qr_size = 30 * mm
    qx, qy = 24 * mm, 26 * mm
    _qr(c, f["verify_url"], qx, qy, qr_size)
    c.setFont(FONT, 8)
    c.drawString(qx + qr_size + 3 * mm, qy + 20 * mm, SCAN_HINT)
    c.drawString(qx + qr_size + 3 * mm, qy + 15 * mm, f["verify_url"][:70])
    c.drawString(qx + qr_size + 3 * mm, qy + 10 * mm, SIGNED_NOTE)
    c.setFont(FONT, 11)
    c.drawRightString(w - 26 * mm, 50 * mm, f["center"])
    c.drawRightString(w - 26 * mm, 43 * mm, f["issue_date"])
    _seal(c, w - 26 * mm - 30 * mm, 48 * mm, 20 * mm, f["center"], f["seal_text"])
    small = _p(f"审计链头（第 {f['audit_head']['seq']} 条）：{f['audit_head']['hash']}", 7.5,
               color=colors.Color(0.3, 0.3, 0.3))
    aw, ah = small.wrapOn(c, tw, 40)
    small.drawOn(c, (w - tw) / 2, 19 * mm)
    c.showPage()
    c.save()
    return buf.getvalue()


BYTES_RESERVED = 6144  # the CMS blob (ECDSA P-256, two certificates) is ≈1.3 KB; reserved as hex, twice that


def sign_pdf(pdf: bytes, *, reason: str, location: str, name: str, signer=None) -> bytes:
    """PAdES (ETSI.CAdES.detached) signature with the center's X.509 key; the signer is cached per process."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from certificates.keys import pades_signer

    signer = signer or pades_signer()
    meta = signers.PdfSignatureMetadata(field_name="CenterSeal", md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES, reason=reason,
                                        location=location, name=name)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = signers.PdfSigner(meta, signer=signer).sign_pdf(writer, bytes_reserved=BYTES_RESERVED)
    return out.getvalue()


def validate_pades(data: bytes, extra_roots: tuple[str, ...] = ()) -> tuple[bool, str, str | None]:
    """(ok, Chinese reason, claimed number) with pyHanko's validator, trusting the center's CA — the current one
    and `extra_roots` (PEM; the CA recorded when a certificate was issued, so an old PDF survives a key rotation)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from certificates import keys

    number = number_in(data)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sigs = reader.embedded_signatures
    except Exception:
        return False, "文件不是有效的 PDF 或已损坏", number
    if not sigs:
        return False, "文件中没有电子签名", number
    try:
        roots = [keys.trust_root()] if keys.available() else []
        roots += [_pem_cert(pem) for pem in extra_roots]
        if not roots:
            return False, "中心签章证书不可用，无法校验电子签名", number
        vc = ValidationContext(trust_roots=roots, allow_fetching=False)
        status = validate_pdf_signature(sigs[0], vc)
    except Exception:
        return False, "电子签名无法解析或已被破坏", number
    if not status.intact or not status.valid:
        return False, "电子签名校验失败：文件内容在签名后被改动", number
    if not status.trusted:
        return False, "签名证书不是本中心签发的", number
    if status.coverage is None or status.coverage.name != "ENTIRE_FILE":
        return False, "签名后文件被追加了内容", number
    return True, "电子签名有效", number


def _pem_cert(pem: str):
    from asn1crypto import pem as asn1pem
    from asn1crypto import x509 as asn1x509

    _, _, der = asn1pem.unarmor(pem.encode("ascii"))
    return asn1x509.Certificate.load(der)


def number_in(data: bytes) -> str | None:
    """The certificate number the file claims (document keywords), read even from a damaged file."""
    text = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8) & 0xFF]), data)
    found = re.findall(rb"certificate-number:((?:NC|GG)-\d{4}-C\d{4,}(?:-[0-9A-Z]{10})?)", text)
    return found[-1].decode("ascii") if found else None
