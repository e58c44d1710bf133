"""Product pictures: an admin's upload is checked by its content, re-encoded by libvips into the
sizes the pages use, stored under the state dir and served by nginx with caching headers; bad
files get a clear 4xx and nothing is stored."""
import io
import os
import random
import struct
import uuid
import zlib

import pytest
import requests
from PIL import Image

from conftest import assert_error


def png(width, height, noise=False):
    img = Image.new("RGB", (width, height), (200, 80, 40))
    if noise:  # incompressible: a large file
        img = Image.frombytes("RGB", (width, height), random.randbytes(width * height * 3))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def png_claiming(width, height):
    """A small PNG whose header claims width x height: what a decompression bomb looks like
    before it is decoded."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 4096)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture
def product(stack, admin):
    r = stack.post("/api/v1/admin/products", {"name": "Pictured " + uuid.uuid4().hex[:6],
                                              "description": "", "category": "test", "price": 1000,
                                              "stock": 5}, token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["product"]["id"]


def upload(stack, token, pid, data, content_type="image/png"):
    return requests.put(stack.url(f"/api/v1/admin/products/{pid}/picture"), data=data, timeout=60,
                        headers={"Authorization": "Bearer " + token, "Content-Type": content_type})


def stored(stack):
    d = os.path.join(stack.state_dir, "pictures")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def picture_of(stack, pid):
    return stack.sql("SELECT picture FROM products WHERE id = %s", pid)[0]["picture"]


def test_an_uploaded_picture_is_re_encoded_into_the_page_sizes_and_served_with_caching(stack, admin, product):
    r = upload(stack, admin["access"], product, png(800, 600))
    assert r.status_code == 200, r.text
    p = r.json()["product"]
    assert p["picture_card"].startswith(f"/pictures/{product}-") and p["picture_card"].endswith("-card.jpg")
    assert p["picture_large"] == p["picture_card"].replace("-card.jpg", "-large.jpg")
    assert stack.get(f"/api/v1/products/{product}").json()["product"]["picture_card"] == p["picture_card"]
    sizes = {}
    for url in (p["picture_card"], p["picture_large"]):
        got = stack.get(url)
        assert got.status_code == 200 and got.headers["Content-Type"] == "image/jpeg", url
        assert "immutable" in got.headers["Cache-Control"] and "max-age=2592000" in got.headers["Cache-Control"]
        img = Image.open(io.BytesIO(got.content))
        assert img.format == "JPEG"
        sizes[url] = img.size
    assert sizes[p["picture_card"]] == (480, 360)
    assert sizes[p["picture_large"]] == (800, 600), "never enlarged"
    page = stack.get(f"/products/{product}").text
    assert f'<img src="{p["picture_large"]}"' in page
    listed = stack.get("/products?q=Pictured").text
    assert f'<img src="{p["picture_card"]}"' in listed

    again = upload(stack, admin["access"], product, png(300, 200)).json()["product"]
    assert again["picture_card"] != p["picture_card"], "a new picture has a new name"
    assert stack.get(p["picture_card"]).status_code == 404, "the old files are removed"
    assert [f for f in stored(stack) if f.startswith(f"{product}-")] == sorted(
        [os.path.basename(again["picture_card"]), os.path.basename(again["picture_large"])])


def test_a_picture_larger_than_max_body_is_taken_up_to_its_own_limit(stack, admin, product):
    data = png(1400, 1000, noise=True)
    assert 1_048_576 < len(data) < 8_388_608
    r = upload(stack, admin["access"], product, data)
    assert r.status_code == 200, r.text
    assert Image.open(io.BytesIO(stack.get(r.json()["product"]["picture_large"]).content)).size == (1200, 857)
    assert_error(upload(stack, admin["access"], product, b"\0" * 9_000_000), 413, "body_too_large")


@pytest.mark.parametrize("data,content_type,status,code", [
    (b"just some text, not a picture", "image/png", 415, "not_an_image"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>", "image/svg+xml", 415, "not_an_image"),
    (png_claiming(20000, 20000), "image/png", 422, "too_many_pixels"),
    (png(400, 300)[:300], "image/png", 422, "broken_image"),
    (png(40, 30), "application/json", 415, "unsupported_media_type"),
    (b"", "image/png", 400, "empty_body"),
], ids=["text", "svg", "bomb", "cut", "type", "empty"])
def test_a_bad_file_gets_a_clear_4xx_and_nothing_is_stored(stack, admin, product, data, content_type,
                                                           status, code):
    good = upload(stack, admin["access"], product, png(100, 80)).json()["product"]
    before = stored(stack)
    assert_error(upload(stack, admin["access"], product, data, content_type), status, code)
    assert stored(stack) == before
    assert stack.get(f"/api/v1/products/{product}").json()["product"]["picture_card"] == good["picture_card"]
    assert stack.get(good["picture_card"]).status_code == 200


def test_only_admins_upload_pictures(stack, product):
    user = stack.user()
    assert_error(upload(stack, user["access"], product, png(50, 50)), 403, "forbidden")
    assert_error(upload(stack, "nope", product, png(50, 50)), 401, "unauthorized")
    assert picture_of(stack, product) is None
    assert_error(upload(stack, stack.user("admin")["access"], 99999999, png(50, 50)), 404, "not_found")


def test_products_without_a_picture_keep_the_letter_tile(stack, product):
    p = stack.get(f"/api/v1/products/{product}").json()["product"]
    assert p["picture_card"] is None and p["picture_large"] is None
    page = stack.get(f"/products/{product}").text
    assert '<div class="thumb thumb-lg"><span>' in page and "<img" not in page.split('class="product-media"')[1][:300]


def test_the_page_upload_takes_the_file_as_its_body_with_the_page_s_csrf_token(stack, product):
    import html
    from conftest import csrf_of, page_session
    a = stack.user("admin")
    s = page_session(stack, a["email"], a["password"])
    token = csrf_of(s.get(stack.base + "/admin/products").text)
    url = stack.base + f"/admin/products/{product}/picture"
    r = s.post(url, data=png(120, 90), headers={"Content-Type": "image/png"}, allow_redirects=False)
    assert r.status_code == 403 and picture_of(stack, product) is None, "no token, no picture"
    r = s.post(url, files={"picture": ("a.png", png(120, 90), "image/png")}, allow_redirects=False)
    assert r.status_code == 415 and "turn JavaScript on" in html.unescape(r.text)
    r = s.post(url, data=png(120, 90), headers={"Content-Type": "image/png", "X-CSRF-Token": token},
               allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"].startswith(f"/admin/products?picture={product}")
    assert picture_of(stack, product).startswith(f"{product}-")
    r = s.post(url, data=b"x" * 9_000_000, headers={"Content-Type": "image/png", "X-CSRF-Token": token})
    assert r.status_code == 413 and "what you sent is larger than this shop accepts" in html.unescape(r.text)
