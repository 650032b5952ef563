// The layer table of a Cookiecutter Data Science project, as the lab uses it today.
// A project's strata.yaml can change any row or add layers.

export type LayerKind = 'input' | 'result';
export type Writers = 'maintainers' | 'everyone';

export interface LayerDefaults {
  local: string;
  path: string;
  kind: LayerKind;
  writers: Writers;
  versioned: boolean;
}

export const DEFAULT_LAYERS: Record<string, LayerDefaults> = {
  external: { local: 'data/external', path: 'external', kind: 'input', writers: 'maintainers', versioned: false },
  profiles: { local: 'data/raw/profiles', path: 'profiles', kind: 'input', writers: 'maintainers', versioned: false },
  interim: { local: 'data/interim', path: 'interim', kind: 'result', writers: 'maintainers', versioned: false },
  processed: { local: 'data/processed', path: 'processed', kind: 'result', writers: 'everyone', versioned: true },
};

/** Files never synced, in any layer (SPEC §6.12). Strata's own temp files end in .strata-tmp. */
export const ALWAYS_EXCLUDED = [
  '**/.DS_Store',
  '**/__pycache__/**',
  '**/*.pyc',
  '**/.ipynb_checkpoints/**',
  '**/*.tmp',
  '**/.gitkeep',
  '**/*.strata-tmp',
  '**/.strata/**',
];

export const DEFAULTS = {
  mainBranch: 'main',
  role: 'analyst' as const,
  transfers: 16,
  /** How files travel to and from the Hub: Xet where the Hub offers it (else LFS), or always LFS. */
  hubTransfer: 'xet' as 'xet' | 'lfs',
  deleteThreshold: 0.5,
  recycleDir: 'data/_recycle',
  configFile: 'strata.yaml',
};
