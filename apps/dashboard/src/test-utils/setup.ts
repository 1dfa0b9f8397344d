import { cleanup } from '@testing-library/react'
import { afterEach } from 'vitest'

afterEach(() => {
  if (typeof window === 'undefined') return // node-environment files (real servers)
  cleanup()
  sessionStorage.clear()
  window.location.hash = ''
})
