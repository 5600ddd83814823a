// Every text of the page a person can read in its language: visible text nodes (with
// every <details> opened), labels for assistive technology, the options of visible
// <select>s, the confirmation before logging out and the messages register.js shows
// (#field-text). Elements in another language (the language switcher) are left out.
() => {
  const lang = document.documentElement.lang;
  const texts = new Set([document.title]);
  const foreign = (el) => {
    const owner = el.closest('[lang]');
    return owner && owner.lang !== lang;
  };
  document.querySelectorAll('details').forEach((details) => { details.open = true; });
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (el && !foreign(el) && el.checkVisibility({ visibilityProperty: true })) {
      texts.add(walker.currentNode.textContent);
    }
  }
  const attributes = ['aria-label', 'title', 'placeholder', 'alt', 'data-unsent'];
  for (const el of document.querySelectorAll(attributes.map((a) => `[${a}]`).join(','))) {
    if (foreign(el)) continue;
    for (const name of attributes) if (el.hasAttribute(name)) texts.add(el.getAttribute(name));
  }
  for (const option of document.querySelectorAll('select:not([hidden]) option')) {
    texts.add(option.textContent);
  }
  const messages = document.getElementById('field-text');
  if (messages) {
    messages.content.querySelectorAll('[data-text]').forEach((el) => texts.add(el.textContent));
  }
  return [...texts].map((text) => text.replace(/\s+/g, ' ').trim()).filter(Boolean);
}
