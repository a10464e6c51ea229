// Translations: English and Simplified Chinese. The language comes from
// localStorage ("lang"), else from navigator.languages; t('key', {x}) fills
// {x} placeholders. A key missing in a language falls back to English.
import en from './i18n/en.js';
import zh from './i18n/zh.js';

export const languages = { en: 'English', zh: '中文' };
const dicts = { en, zh };

function detect() {
  try {
    const saved = localStorage.getItem('lang');
    if (saved && dicts[saved]) return saved;
  } catch (_) { /* storage blocked */ }
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).toLowerCase().split('-')[0];
    if (dicts[base]) return base;
  }
  return 'en';
}

let lang = detect();
document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';

export const getLang = () => lang;

export function setLang(l) {
  if (!dicts[l]) return;
  lang = l;
  try { localStorage.setItem('lang', l); } catch (_) { /* ignore */ }
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
}

export function t(key, vars) {
  let s = dicts[lang][key];
  if (s === undefined) s = en[key];
  if (s === undefined) s = key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}
