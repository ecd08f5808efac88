// The console's few scripts, all progressive: every page works without them.
(() => {
  // Copy buttons: <button data-copy="#id"> copies that element's text.
  document.addEventListener('click', async (event) => {
    const button = event.target.closest('[data-copy]');
    if (!button) return;
    const text = document.querySelector(button.dataset.copy)?.textContent ?? '';
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const range = document.createRange();
      range.selectNodeContents(document.querySelector(button.dataset.copy));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      document.execCommand('copy');
    }
    button.textContent = 'Copied';
    setTimeout(() => { button.textContent = 'Copy'; }, 2000);
  });

  // Every change is confirmed: <form data-confirm="…"> asks first (before Blazor's enhanced form handling sees the submit).
  document.addEventListener('submit', (event) => {
    const message = event.target.dataset?.confirm;
    if (message && !window.confirm(message)) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);

  // Live tables: an element with data-live="<ms>" is re-fetched while the page is visible and its rows replaced. The
  // header tells the server this is no activity of the person's (the session's idle timeout keeps counting).
  let timer = null;
  function live() {
    clearInterval(timer);
    const element = document.querySelector('[data-live]');
    const every = Number(element?.dataset.live);
    if (!element || !every) return;
    timer = setInterval(async () => {
      // Not while hidden, nor while the person is on a row (focus inside): content must not move under a keyboard user.
      const paused = () => document.hidden || !document.body.contains(element) || !element.dataset.live || element.contains(document.activeElement);
      if (paused()) return;
      try {
        const response = await fetch(location.href, { headers: { 'X-Console-Live': '1' }, credentials: 'same-origin', redirect: 'manual' });
        if (!response.ok) { if (response.type === 'opaqueredirect' || response.status === 401) clearInterval(timer); return; }
        const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById(element.id);
        // Asked again: the person may have tabbed into the table while the fetch was under way.
        if (fresh && !paused() && fresh.innerHTML !== element.innerHTML) element.innerHTML = fresh.innerHTML;
      } catch { /* the next tick tries again */ }
    }, every);
  }
  document.addEventListener('DOMContentLoaded', live);
  if (window.Blazor) window.Blazor.addEventListener('enhancedload', live); else document.addEventListener('DOMContentLoaded', () => window.Blazor?.addEventListener('enhancedload', live));
})();
