// Putting a reply on the clipboard: text always, images where the browser allows it.

// The Clipboard API needs a secure context (HTTPS or localhost). A panel served over plain
// HTTP on the shop's LAN falls back to copying a selected, invisible textarea.
export async function writeText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (_err) { /* denied, or the page lost focus: try the old way */ }
  }
  const active = document.activeElement;
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.cssText = "position:fixed;top:0;left:0;opacity:0;pointer-events:none";
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch (_err) { ok = false; }
  area.remove();
  if (active && typeof active.focus === "function") active.focus();
  return ok;
}

async function asPng(blob) {
  if (blob.type === "image/png") return blob;
  const bitmap = await createImageBitmap(blob);
  const canvas = document.createElement("canvas");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext("2d").drawImage(bitmap, 0, 0);
  return new Promise((resolve, reject) => canvas.toBlob(
    (png) => (png ? resolve(png) : reject(new Error("toBlob"))), "image/png"));
}

// Chromium takes image/png only (other types are converted first). The ClipboardItem gets
// a promise, so the write starts while the user's key press still counts as a gesture.
export async function copyImage(url) {
  if (!(navigator.clipboard && navigator.clipboard.write && window.ClipboardItem
        && window.isSecureContext)) return false;
  try {
    const png = fetch(url, { credentials: "same-origin" }).then((r) => {
      if (!r.ok) throw new Error(String(r.status));
      return r.blob();
    }).then(asPng);
    await navigator.clipboard.write([new ClipboardItem({ "image/png": png })]);
    return true;
  } catch (_err) {
    return false;
  }
}

// The images of the reply just copied: each draggable into the chat window, with buttons
// to copy it (where the browser can) and to download it.
export function renderImages(container, images, strings, onCopy) {
  const hint = document.createElement("p");
  hint.className = "muted";
  hint.textContent = strings.imagesHint;
  const figures = images.map((image) => {
    const img = document.createElement("img");
    img.src = image.url;
    img.alt = image.name;
    img.draggable = true;
    const copy = document.createElement("button");
    copy.type = "button";
    copy.textContent = strings.imageCopy;
    copy.addEventListener("click", () => onCopy(image));
    const download = document.createElement("a");
    download.href = image.url;
    download.download = image.name;
    download.textContent = strings.imageDownload;
    const caption = document.createElement("figcaption");
    caption.append(copy, " ", download);
    const figure = document.createElement("figure");
    figure.append(img, caption);
    return figure;
  });
  container.replaceChildren(hint, ...figures);
  container.hidden = false;
}
