/**
 * Every action asks first: a modal with the question, an optional value (replicas, image) and
 * Confirm/Cancel. Resolves with the value (or '' when none is asked), or null when cancelled.
 */
import { byId } from './dom.js';

export interface Question { text: string; input?: { label: string; value: string; type?: 'text' | 'number' } }

export function ask(q: Question): Promise<string | null> {
  const dialog = byId<HTMLDialogElement>('confirm');
  const text = dialog.querySelector('.question')!;
  const label = dialog.querySelector('label')!;
  const input = dialog.querySelector('input')!;
  const error = dialog.querySelector('.error')!;
  text.textContent = q.text;
  error.textContent = '';
  label.hidden = !q.input;
  if (q.input) {
    label.querySelector('span')!.textContent = q.input.label;
    input.type = q.input.type ?? 'text';
    input.value = q.input.value;
  }
  return new Promise((resolve) => {
    const onClose = () => {
      dialog.removeEventListener('close', onClose);
      resolve(dialog.returnValue === 'ok' ? (q.input ? input.value.trim() : '') : null);
    };
    dialog.addEventListener('close', onClose);
    dialog.returnValue = '';
    dialog.showModal();
    if (q.input) input.select();
  });
}
