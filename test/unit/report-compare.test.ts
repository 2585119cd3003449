import { describe, expect, it } from 'vitest'
import { compareReports, sizeChange } from '../../src/report/compare.js'
import { loadReport } from '../helpers/report-fixtures.js'

describe('sizeChange', () => {
  it.each([
    [100, 150, 50, 50],
    [200, 100, -100, -50],
    [100, 100, 0, 0],
    [0, 100, 100, undefined]
  ])('%d → %d: %d bytes, %s%%', (base, head, delta, percent) => {
    expect(sizeChange(base, head)).toEqual({
      base,
      head,
      delta,
      ...(percent === undefined ? {} : { percent })
    })
  })
})

describe('compareReports', () => {
  const head = loadReport('pull-request')
  const base = loadReport('main')

  it('gives the change per architecture, zipped and unzipped', () => {
    const changes = compareReports(head, base)
    expect(
      changes.map((c) => [c.architecture, c.status, c.zipped.delta, c.unzipped.delta, c.code.delta])
    ).toEqual([
      ['arm64', 'compared', 17_345_678 - 17_100_000, 47_711_989 - 47_131_444, 2_100],
      ['x86_64', 'compared', 18_901_234 - 18_650_000, 50_451_190 - 49_829_770, 2_100]
    ])
    expect(changes[0]!.unzipped.percent).toBeCloseTo((580_545 / 47_131_444) * 100, 10)
  })

  it('lists added, removed and changed distributions, biggest change first', () => {
    const [arm64] = compareReports(head, base)
    expect(
      arm64!.distributions.map((d) => [
        d.name,
        d.status,
        d.baseVersion,
        d.headVersion,
        d.size.base,
        d.size.head,
        d.size.delta
      ])
    ).toEqual([
      ['orjson', 'added', undefined, '3.10.18', 0, 612_000, 612_000],
      ['typing_inspection', 'removed', '0.4.1', undefined, 60_000, 0, -60_000],
      ['pydantic', 'changed', '2.11.5', '2.11.7', 3_190_000, 3_204_100, 14_100],
      ['numpy', 'changed', '2.2.5', '2.2.6', 38_900_000, 38_912_345, 12_345]
    ])
    // Unchanged distributions (same version, same size) are left out.
    expect(arm64!.distributions.map((d) => d.name)).not.toContain('pydantic_core')
  })

  it('counts a version change with the same size as a change', () => {
    const bumped = loadReport('main')
    bumped.architectures[0]!.distributions.find((d) => d.name === 'annotated_types')!.version =
      '0.6.0'
    const [arm64] = compareReports(loadReport('main'), bumped)
    expect(arm64!.distributions).toEqual([
      {
        name: 'annotated_types',
        status: 'changed',
        baseVersion: '0.6.0',
        headVersion: '0.7.0',
        size: { base: 45_000, head: 45_000, delta: 0, percent: 0 }
      }
    ])
  })

  it('marks an architecture only in this run as added, only in the base as removed', () => {
    const armOnly = loadReport('pull-request')
    armOnly.architectures = armOnly.architectures.filter((a) => a.architecture === 'arm64')
    const x86Only = loadReport('main')
    x86Only.architectures = x86Only.architectures.filter((a) => a.architecture === 'x86_64')
    const changes = compareReports(armOnly, x86Only)
    expect(changes.map((c) => [c.architecture, c.status, c.zipped.base, c.zipped.head])).toEqual([
      ['arm64', 'added', 0, 17_345_678],
      ['x86_64', 'removed', 18_650_000, 0]
    ])
    expect(changes[0]!.zipped.percent).toBeUndefined()
    expect(changes[1]!.distributions.every((d) => d.status === 'removed')).toBe(true)
  })

  it('compares a layer package by function plus layer', () => {
    const layer = loadReport('layer-near-limit')
    const changes = compareReports(layer, layer)
    expect(changes[0]!.zipped).toEqual({
      base: 61_239_067,
      head: 61_239_067,
      delta: 0,
      percent: 0
    })
    expect(changes[0]!.distributions).toEqual([])
  })
})
