import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { Gauge } from './gauge.tsx'

describe('Gauge', () => {
  it('should give the value as text and its level in words, not only colour', () => {
    render(<Gauge label="CPU usage" value={75.04} />)
    const meter = screen.getByTestId('gauge-cpu-usage').querySelector('meter')!
    expect(meter.getAttribute('aria-valuetext')).toBe('75.0 %, high')
    expect(meter.getAttribute('value')).toBe('75')
    expect(screen.getByText('high').className).toContain('tone-warn')
    expect(screen.getByText('75.0 %')).toBeTruthy()
  })

  it('should turn critical at the threshold, clamp to 0-100 and say "no data" when unknown', () => {
    const { rerender } = render(<Gauge label="Memory usage" value={130} criticalAt={90} />)
    expect(screen.getByText('100.0 %')).toBeTruthy()
    expect(screen.getByText('critical')).toBeTruthy()
    const arc = screen.getByTestId('gauge-memory-usage').querySelector('.gauge-arc')!
    expect(Number(arc.getAttribute('stroke-dashoffset'))).toBe(0)
    rerender(<Gauge label="Memory usage" value={null} />)
    expect(screen.getByText('no data')).toBeTruthy()
    expect(screen.getByText('—')).toBeTruthy()
    rerender(<Gauge label="Memory usage" value={10} />)
    expect(screen.getByText('normal')).toBeTruthy()
  })
})
