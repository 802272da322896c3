/** Escaping for text placed in HTML (mail bodies and link pages). */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c)
}

export const BASE_STYLE =
  'font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#1f2328;max-width:640px;margin:0 auto;padding:16px'

export const BUTTON_STYLE =
  'display:inline-block;padding:10px 18px;margin:4px 8px 4px 0;border-radius:6px;background:#1f6feb;color:#ffffff;text-decoration:none;font-weight:600;border:0;font-size:15px;cursor:pointer'
