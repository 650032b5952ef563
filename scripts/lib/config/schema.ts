// The shape of strata.yaml. Unknown keys are errors (a typo must not be silently ignored).
import { z } from 'zod';

const layerSchema = z
  .object({
    local: z.string().min(1).optional(),
    path: z.string().min(1).optional(),
    kind: z.enum(['input', 'result']).optional(),
    writers: z.enum(['maintainers', 'everyone']).optional(),
    versioned: z.boolean().optional(),
    remote: z.string().min(1).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

export const projectFileSchema = z
  .object({
    remote: z.string().min(1).optional(),
    hub: z.string().min(1).optional(),
    main_branch: z.string().min(1).optional(),
    transfers: z.number().int().min(1).max(256).optional(),
    hub_transfer: z.enum(['xet', 'lfs']).optional(),
    delete_threshold: z.number().min(0).max(1).optional(),
    recycle_dir: z.string().min(1).optional(),
    exclude: z.array(z.string().min(1)).optional(),
    layers: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'layer names are lowercase letters, digits, - and _'), layerSchema.nullable()).optional(),
  })
  .strict();

export type ProjectFile = z.infer<typeof projectFileSchema>;
