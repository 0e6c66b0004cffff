/** `image ls` rows: NAME CMD CWD CREATED BUILT-IN. */
import type { Image } from '../../lib/model/types.js';
import { joinCommandLine } from './command-line.js';
import { ago } from './human-duration.js';
import { naturalCompare } from './text.js';

export interface ImageRow { Name: string; Cmd: string; Cwd: string; Created: string; BuiltIn: string }

export const IMAGE_HEADER = ['NAME', 'CMD', 'CWD', 'CREATED', 'BUILT-IN'];
/** The fields a `--format` template can use. */
export const IMAGE_FIELDS: ReadonlyArray<keyof ImageRow> = ['Name', 'Cmd', 'Cwd', 'Created', 'BuiltIn'];

export function buildImageRows(images: Image[], now: number): ImageRow[] {
  return [...images]
    .sort((a, b) => naturalCompare(a.Name, b.Name))
    .map((image) => ({
      Name: image.Name,
      Cmd: joinCommandLine(image.Cmd ?? []),
      Cwd: image.Cwd ?? '',
      Created: ago(image.CreatedAt, now, true),
      BuiltIn: image.BuiltIn ? 'yes' : 'no',
    }));
}

export function imageRowCells(row: ImageRow): string[] {
  return [row.Name, row.Cmd, row.Cwd, row.Created, row.BuiltIn];
}
