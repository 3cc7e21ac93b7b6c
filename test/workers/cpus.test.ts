// The default of --workers: the cgroup CPU quota (v2 cpu.max, v1 cfs quota/period) from fake
// cgroup trees, else the available CPUs.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cgroupCpuQuota, defaultWorkers, parseCgroupV1Quota, parseCgroupV2CpuMax } from '../../src/workers/cpus.js';

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wsgate-cgroup-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

test('cgroup v2 cpu.max: quota/period rounded up; max = no quota', () => {
  assert.equal(parseCgroupV2CpuMax('200000 100000\n'), 2);
  assert.equal(parseCgroupV2CpuMax('150000 100000\n'), 2);
  assert.equal(parseCgroupV2CpuMax('50000 100000\n'), 1);
  assert.equal(parseCgroupV2CpuMax('max 100000\n'), undefined);
  assert.equal(parseCgroupV2CpuMax('garbage'), undefined);
});

test('cgroup v1: cfs_quota_us -1 = no quota', () => {
  assert.equal(parseCgroupV1Quota('400000\n', '100000\n'), 4);
  assert.equal(parseCgroupV1Quota('-1\n', '100000\n'), undefined);
});

test('cgroupCpuQuota reads the process cgroup below the mount, then the mount itself', () => {
  assert.equal(cgroupCpuQuota(tree({ 'cpu.max': '300000 100000\n' }), '0::/\n'), 3);
  assert.equal(cgroupCpuQuota(tree({ 'kubepods/pod1/cpu.max': '250000 100000\n', 'cpu.max': 'max 100000\n' }), '0::/kubepods/pod1\n'), 3);
  assert.equal(cgroupCpuQuota(tree({ 'cpu.max': 'max 100000\n' }), '0::/\n'), undefined);
  assert.equal(cgroupCpuQuota(tree({ 'cpu,cpuacct/cpu.cfs_quota_us': '200000\n', 'cpu,cpuacct/cpu.cfs_period_us': '100000\n' }), '2:cpu,cpuacct:/\n'), 2);
  assert.equal(cgroupCpuQuota(tree({ 'cpu/docker/abc/cpu.cfs_quota_us': '100000\n', 'cpu/docker/abc/cpu.cfs_period_us': '100000\n' }), '4:cpu:/docker/abc\n'), 1);
  assert.equal(cgroupCpuQuota(tree({}), ''), undefined);
});

test('defaultWorkers: the quota, capped by the available CPUs, at least 1', () => {
  assert.equal(defaultWorkers(2, 8), 2);
  assert.equal(defaultWorkers(16, 4), 4);
  assert.equal(defaultWorkers(undefined, 6), 6);
  assert.equal(defaultWorkers(undefined, 0), 1);
});
